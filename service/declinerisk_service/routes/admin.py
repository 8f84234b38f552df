"""POST /v1/admin/reload: load a model and swap it in; a refused one leaves the old serving."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from declinerisk_service.audit import AdminActor, audited
from declinerisk_service.deps import RuntimeDep
from declinerisk_service.schemas import ReloadIn, ReloadOut

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/reload", response_model=ReloadOut)
async def reload_model(
    actor: AdminActor, runtime: RuntimeDep, body: ReloadIn | None = None
) -> ReloadOut:
    """Reload the configured model (e.g. after models/latest or the champion alias moved), or
    a folder of the models folder by name. Models never load from a path in a request.

    The worker that gets the request loads the model, then every other worker on the same
    store follows within about `DECLINERISK_RELOAD_POLL_SECONDS` (`/readyz` tells each
    worker's model and generation)."""
    version = body.version if body else None
    ok, reason = await run_in_threadpool(runtime.follower.reload, version)
    current = runtime.models.current.version
    await audited(runtime.store, actor, "reload", "reloaded" if ok else "refused")
    return ReloadOut(reloaded=ok, model_version=current, reason=reason)
