"""GET /v1/model: the model card."""

from __future__ import annotations

from fastapi import APIRouter

from declinerisk_service.auth import ModelScope
from declinerisk_service.deps import PredictorDep
from declinerisk_service.schemas import FeatureOut, ModelCard

router = APIRouter(prefix="/v1", tags=["model"])


@router.get("/model", response_model=ModelCard)
def model_card(_: ModelScope, predictor: PredictorDep) -> ModelCard:
    """Version, training time, metrics, band thresholds and input features of the model."""
    info = predictor.info
    return ModelCard(
        version=info.version,
        trained_at=info.trained_at,
        estimator=dict(info.estimator),
        metrics={split: dict(values) for split, values in info.metrics.items()},
        bands=dict(info.bands),
        features=[
            FeatureOut(
                name=c.name,
                kind=c.kind.value,
                role=c.role.value,
                meaning=c.meaning,
                minimum=c.minimum,
                maximum=c.maximum,
            )
            for c in info.features.columns
        ],
    )
