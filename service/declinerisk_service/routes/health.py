"""Liveness, readiness and Prometheus metrics; no API key needed."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from declinerisk_service.deps import RuntimeDep
from declinerisk_service.schemas import Health, Liveness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """The process is up (liveness only: `/readyz` says whether it can score)."""
    return Liveness(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(runtime: RuntimeDep) -> Response:
    """Ready when a model is loaded and the store answers; 503 (degraded) otherwise."""
    store_ok = await run_in_threadpool(runtime.store.ping)
    loaded = runtime.models.loaded
    health = Health(
        status="ready" if loaded and store_ok else "degraded",
        model_version=runtime.models.current.version if loaded else None,
        store="ok" if store_ok else "unreachable",
        worker=runtime.follower.worker,
        model_generation=runtime.follower.generation,
        reload_error=runtime.follower.error,
    )
    return JSONResponse(health.model_dump(), status_code=200 if health.status == "ready" else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep) -> Response:
    return runtime.metrics.exposition()
