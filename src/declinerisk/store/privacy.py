"""Candidate data protection: erase every record of an offer id, and export what is held.

Erasure deletes an offer's score records, outcomes and outbound events in one transaction
that also writes its tombstone (:class:`~declinerisk.store.records.ErasedOffer`, the id's SHA-256),
then drops its spooled records. Every later write of that id (a spool replay, a connector
redelivery, a new score) is skipped by the store, and the outbox has no row left to retry.
Connector delivery records (``connector_events``) hold only delivery ids and results, no offer
data. Model folders hold no offer ids: ``canary.json`` is synthetic and ``evaluation.parquet``
holds the test set's outcomes, scores, offer dates and protected attributes, one row per test
offer, without ids (see the README).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from declinerisk.events.outbox import OutboxEvent
from declinerisk.store.database import Store
from declinerisk.store.recorder import drop_spooled, spooled_rows
from declinerisk.store.records import (
    ErasedOffer,
    OutcomeRecord,
    ScoreRecord,
    erased_ids,
    offer_digest,
)
from declinerisk.store.spool_lock import spool_lock


@dataclass(frozen=True)
class Erasure:
    """How many records of the offer were erased, by where they were held."""

    scores: int
    outcomes: int
    events: int
    spooled: int

    def detail(self) -> str:
        return (
            f"scores={self.scores} outcomes={self.outcomes} events={self.events} "
            f"spooled={self.spooled}"
        )


def erase(
    store: Store, offer_id: str, forget_spooled: Callable[[str], int] | None = None
) -> Erasure:
    """Erase every record of ``offer_id`` and keep its tombstone. ``forget_spooled`` drops its
    spooled records (the recorder's, under its lock); without it nothing is dropped from a
    spool, and a replay still skips them. A second pass after the commit removes a score
    written concurrently by a transaction that began before the tombstone was visible."""
    with store.session() as session:
        counts = erase_in(session, offer_id)
    with store.session() as session:
        late = erase_in(session, offer_id)
    spooled = forget_spooled(offer_id) if forget_spooled else 0
    return Erasure(
        scores=counts[0] + late[0],
        outcomes=counts[1] + late[1],
        events=counts[2] + late[2],
        spooled=spooled,
    )


def erase_in(session: Session, offer_id: str) -> tuple[int, int, int]:
    """Tombstone and delete inside a transaction the caller holds (the connector marks its
    delivery in the same one). Returns (scores, outcomes, events) deleted."""
    if not erased_ids(session, [offer_id]):
        session.add(ErasedOffer(digest=offer_digest(offer_id), erased_at=datetime.now(UTC)))
        session.flush()
    counts = []
    for table in (ScoreRecord, OutcomeRecord, OutboxEvent):
        done = session.execute(delete(table).where(table.offer_id == offer_id))
        counts.append(int(done.rowcount))  # type: ignore[attr-defined]
    return counts[0], counts[1], counts[2]


def erase_spooled(spool: Path) -> Callable[[str], int]:
    """``forget_spooled`` for the CLI; it waits for running workers' recorders, which share
    the spool's lock."""

    def forget(offer_id: str) -> int:
        with spool_lock(spool):
            return drop_spooled(spool, offer_id)

    return forget


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_aware)]
"""A stored time, always with its UTC offset (RFC 3339 date-time) in answers."""


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ScoreHeld(_Row):
    id: int
    request_id: str
    model_version: str
    inputs: dict[str, Any]
    probability: float
    band: str
    reasons: list[dict[str, Any]]
    action: str
    scored_at: UtcDatetime


class OutcomeHeld(_Row):
    id: int
    event_id: str
    outcome: str
    decline_reason: str | None
    decided_at: UtcDatetime | None
    received_at: UtcDatetime
    source: str


class EventHeld(_Row):
    id: int
    message_id: str
    url: str
    event_type: str
    status: str
    attempts: int
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None
    payload: dict[str, Any]


class OfferExport(BaseModel):
    """Everything held about one offer id."""

    offer_id: str
    scores: list[ScoreHeld]
    outcomes: list[OutcomeHeld]
    events: list[EventHeld]
    spooled: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (self.scores or self.outcomes or self.events or self.spooled)


def export(store: Store, offer_id: str, spooled: list[dict[str, Any]]) -> OfferExport | None:
    """What the store holds about ``offer_id`` plus its ``spooled`` records; None when
    nothing is held."""
    with store.session() as session:
        scores = session.execute(
            select(ScoreRecord).where(ScoreRecord.offer_id == offer_id).order_by(ScoreRecord.id)
        ).scalars()
        outcomes = session.execute(
            select(OutcomeRecord)
            .where(OutcomeRecord.offer_id == offer_id)
            .order_by(OutcomeRecord.id)
        ).scalars()
        events = session.execute(
            select(OutboxEvent).where(OutboxEvent.offer_id == offer_id).order_by(OutboxEvent.id)
        ).scalars()
        found = OfferExport(
            offer_id=offer_id,
            scores=[ScoreHeld.model_validate(s) for s in scores],
            outcomes=[OutcomeHeld.model_validate(o) for o in outcomes],
            events=[_event(e) for e in events],
            spooled=[_plain(row) for row in spooled],
        )
    return None if found.empty else found


def export_with_spool(store: Store, offer_id: str, spool: Path) -> OfferExport | None:
    with spool_lock(spool):
        spooled = spooled_rows(spool, offer_id)
    return export(store, offer_id, spooled)


def _event(event: OutboxEvent) -> EventHeld:
    values = {name: getattr(event, name) for name in EventHeld.model_fields if name != "payload"}
    return EventHeld(**values, payload=json.loads(event.payload))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
