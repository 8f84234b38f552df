"""Admin: candidate data protection. Erase or export everything held about one offer id,
purge by the retention window now, read the audit trail. Offer ids travel in the body, never
in the URL, so access logs and metrics never hold one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from declinerisk.store import audit, privacy
from declinerisk_service.audit import AdminActor, audited
from declinerisk_service.deps import RuntimeDep, SettingsDep
from declinerisk_service.retention import policy_of, purge_now

router = APIRouter(prefix="/v1/admin", tags=["admin"])

UNAVAILABLE = HTTPException(503, "the store is unavailable; retry later", {"Retry-After": "30"})


class OfferIdIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    offer_id: str = Field(min_length=1, max_length=256)


class ErasureOut(BaseModel):
    erased: bool = Field(description="always true: the offer id is erased and stays erased")
    scores: int
    outcomes: int
    events: int
    spooled: int


class PurgeOut(BaseModel):
    retention_days: int
    scores: int
    outcomes: int
    events: int


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: privacy.UtcDatetime
    key_id: str | None = Field(description="first 12 hex characters of the key's SHA-256")
    scope: str = Field(description="admin, or cli / schedule when no key was used")
    action: str
    outcome: str
    detail: str | None = Field(description="counts only, never a candidate value")


class AuditOut(BaseModel):
    events: list[AuditEventOut]


@router.post("/offers/erase", response_model=ErasureOut)
async def erase_offer(actor: AdminActor, runtime: RuntimeDep, body: OfferIdIn) -> ErasureOut:
    """Erase every record of an offer id (scores, outcomes, spooled records, outbound events)
    and refuse it from now on. Erasing an id with no records still refuses it later."""
    try:
        done = await run_in_threadpool(
            privacy.erase, runtime.store, body.offer_id, runtime.recorder.forget
        )
    except Exception as exc:  # the store is down: nothing was erased
        await audited(runtime.store, actor, "erase", "unavailable")
        raise UNAVAILABLE from exc
    await audited(runtime.store, actor, "erase", "erased", done.detail())
    return ErasureOut(erased=True, **done.__dict__)


@router.post("/offers/export", response_model=privacy.OfferExport)
async def export_offer(
    actor: AdminActor, runtime: RuntimeDep, body: OfferIdIn
) -> privacy.OfferExport:
    """Everything held about an offer id: score records, outcomes, outbound events and
    records waiting in the spool. 404 when nothing is held (or it was erased)."""
    spooled = await run_in_threadpool(runtime.recorder.spooled_for, body.offer_id)
    try:
        found = await run_in_threadpool(privacy.export, runtime.store, body.offer_id, spooled)
    except Exception as exc:
        await audited(runtime.store, actor, "export", "unavailable")
        raise UNAVAILABLE from exc
    await audited(runtime.store, actor, "export", "found" if found else "not_found")
    if found is None:
        raise HTTPException(404, "nothing is held about this offer id")
    return found


@router.post("/retention/purge", response_model=PurgeOut)
async def purge_records(actor: AdminActor, runtime: RuntimeDep, settings: SettingsDep) -> PurgeOut:
    """Apply the retention window now (the service also does so on a schedule); 409 when
    DECLINERISK_RETENTION_DAYS is not set."""
    policy = policy_of(settings)
    if policy is None:
        await audited(runtime.store, actor, "purge", "not_configured")
        raise HTTPException(409, "no retention window is configured (DECLINERISK_RETENTION_DAYS)")
    try:
        done = await run_in_threadpool(
            purge_now, runtime.store, policy, datetime.now(UTC), actor.scope, actor.key_id
        )
    except Exception as exc:  # purge_now wrote the failure when it could
        raise UNAVAILABLE from exc
    return PurgeOut(retention_days=policy.days, **done.__dict__)


@router.get("/audit", response_model=AuditOut)
async def read_audit(
    actor: AdminActor,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditOut:
    """The newest audit rows first (this read is itself written after it)."""
    try:
        found = await run_in_threadpool(audit.listed, runtime.store, limit)
    except Exception as exc:
        raise UNAVAILABLE from exc
    await audited(runtime.store, actor, "audit_read", "ok")
    return AuditOut(events=[AuditEventOut.model_validate(e) for e in found])
