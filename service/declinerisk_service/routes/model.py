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
    manifest = predictor.manifest
    return ModelCard(
        version=manifest.version,
        trained_at=manifest.created_at,
        estimator=manifest.estimator.model_dump(mode="json"),
        metrics=manifest.metrics.model_dump(),
        bands=manifest.bands,
        features=[
            FeatureOut(**{k: f[k] for k in FeatureOut.model_fields}) for f in manifest.features
        ],
    )
