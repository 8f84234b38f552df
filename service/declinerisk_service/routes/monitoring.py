"""GET /v1/monitoring/drift: population stability of recently scored offers."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from declinerisk.monitoring import drift
from declinerisk_service.auth import ModelScope
from declinerisk_service.deps import PredictorDep, StoreDep

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])


class DriftLineOut(BaseModel):
    name: str
    psi: float | None  # null below min_rows: "too few offers to judge"
    verdict: str


class DriftOut(BaseModel):
    model_version: str
    window_days: int
    rows: int
    stable_below: float = drift.STABLE
    significant_above: float = drift.SIGNIFICANT
    min_rows: int = drift.MIN_ROWS
    lines: list[DriftLineOut]


@router.get("/drift", response_model=DriftOut)
async def drift_report(
    _: ModelScope,
    predictor: PredictorDep,
    store: StoreDep,
    days: int = Query(30, ge=1, le=3650, description="window of scored offers, in days"),
) -> DriftOut:
    """PSI per input and for the score, over the offers scored in the last ``days`` days."""
    info = predictor.info
    if info.drift_reference is None:
        raise HTTPException(409, "the model's manifest has no drift reference; retrain it")
    frame, scores = await run_in_threadpool(drift.current_from_store, store, info.features, days)
    lines = drift.drift_report(info.drift_reference, frame, scores)
    return DriftOut(
        model_version=info.version,
        window_days=days,
        rows=len(frame),
        lines=[DriftLineOut(name=x.name, psi=x.psi, verdict=x.verdict) for x in lines],
    )
