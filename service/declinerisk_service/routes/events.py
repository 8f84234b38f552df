"""Admin: the outbound event queue (list, re-send dead or chosen events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from declinerisk_service.audit import AdminActor, audited
from declinerisk_service.deps import RuntimeDep

router = APIRouter(prefix="/v1/admin/events", tags=["admin"])

Status = Literal["pending", "delivered", "dead"]


class EventOut(BaseModel):
    id: int
    message_id: str = Field(description="the webhook-id receivers de-duplicate on")
    event_type: str
    offer_id: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


class EventsOut(BaseModel):
    counts: dict[str, int]
    events: list[EventOut]


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        None, max_length=1000, description="these events; default: every dead event"
    )


class ResendOut(BaseModel):
    resent: int


@router.get("", response_model=EventsOut)
async def list_events(
    actor: AdminActor,
    runtime: RuntimeDep,
    status: Status | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> EventsOut:
    """The newest events, optionally only those in one status, and the count per status."""
    outbox = runtime.integrations.outbox
    found = await run_in_threadpool(outbox.listed, status, limit)
    counts = await run_in_threadpool(outbox.counts)
    await audited(runtime.store, actor, "event_list", "ok")
    return EventsOut(
        counts=counts,
        events=[EventOut.model_validate(e, from_attributes=True) for e in found],
    )


@router.post("/resend", response_model=ResendOut)
async def resend_events(
    actor: AdminActor, runtime: RuntimeDep, body: ResendIn | None = None
) -> ResendOut:
    """Queue events again with a fresh attempt count: the ids given, else every dead one."""
    ids = body.ids if body else None
    resent = await run_in_threadpool(runtime.integrations.outbox.resend, ids)
    await audited(runtime.store, actor, "event_resend", "ok", f"resent={resent}")
    return ResendOut(resent=resent)
