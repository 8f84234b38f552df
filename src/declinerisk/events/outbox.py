"""The outbox: outbound risk events written in the same transaction as the score records.

Every score record written through :meth:`declinerisk.store.database.Store.add_scores` may
produce events (:class:`ScoreEvents`): ``offer.scored`` always, and ``offer.risk_changed`` when the
offer's band differs from its previous score's. Each event is one row per configured URL in
``outbox_events``; a sender (:mod:`declinerisk.events.delivery`) claims due rows, posts them,
and marks them delivered, retried later, or dead after the last attempt. Because rows only leave the
table by being delivered, a crash or restart loses nothing: claimed rows come due again when
their lease ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from declinerisk.store.database import Store
from declinerisk.store.records import Base, ScoreRecord

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
SCORED, RISK_CHANGED = "offer.scored", "offer.risk_changed"


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("message_id", "url", name="uq_outbox_message_url"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    event_type: Mapped[str] = mapped_column(String(64))
    offer_id: Mapped[str] = mapped_column(String(256), index=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class ScoreEvents:
    """Builds the events of a batch of score rows inside the transaction that writes them.

    A row is a dict with :class:`~declinerisk.store.records.ScoreRecord`'s columns, plus optional
    ``what_ifs`` and ``warnings`` (lists) that go into the event but not into the record.
    """

    urls: tuple[str, ...]

    def __call__(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        previous = _latest_bands(session, {str(row["offer_id"]) for row in rows})
        now = datetime.now(UTC)
        events: list[dict[str, Any]] = []
        for row in rows:
            offer_id = str(row["offer_id"])
            before = previous.get(offer_id)
            kinds = [SCORED] + ([RISK_CHANGED] if before and before != row["band"] else [])
            for kind in kinds:
                message_id = f"msg_{uuid.uuid4().hex}"
                body = json.dumps(_envelope(kind, row, before, now), separators=(",", ":"))
                events += [_row(message_id, url, kind, offer_id, body, now) for url in self.urls]
            previous[offer_id] = str(row["band"])
        if events:
            session.add_all(OutboxEvent(**event) for event in events)


def _latest_bands(session: Session, offer_ids: set[str]) -> dict[str, str]:
    if not offer_ids:
        return {}
    latest = (
        select(func.max(ScoreRecord.id))
        .where(ScoreRecord.offer_id.in_(sorted(offer_ids)))
        .group_by(ScoreRecord.offer_id)
    )
    found = session.execute(
        select(ScoreRecord.offer_id, ScoreRecord.band).where(ScoreRecord.id.in_(latest))
    )
    return {offer_id: band for offer_id, band in found.all()}


def _envelope(kind: str, row: dict[str, Any], before: str | None, now: datetime) -> dict[str, Any]:
    scored_at = row.get("scored_at")
    data: dict[str, Any] = {
        "offer_id": row["offer_id"],
        "request_id": row.get("request_id"),
        "model_version": row.get("model_version"),
        "decline_probability": row["probability"],
        "risk_band": row["band"],
        "reasons": row.get("reasons", []),
        "action": row.get("action"),
        "what_ifs": row.get("what_ifs", []),
        "warnings": row.get("warnings", []),
        "scored_at": scored_at.isoformat() if isinstance(scored_at, datetime) else scored_at,
    }
    if kind == RISK_CHANGED:
        data["previous_band"] = before
    return {"type": kind, "timestamp": now.isoformat(), "data": data}


def _row(
    message_id: str, url: str, kind: str, offer_id: str, body: str, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "url": url,
        "event_type": kind,
        "offer_id": offer_id,
        "payload": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


class Outbox:
    """Reads and moves outbox rows: claim, deliver, retry, dead-letter, list, re-send."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(self, limit: int, lease: timedelta) -> list[OutboxEvent]:
        """Due pending rows, leased so another sender (or this one after a crash) takes them
        only when the lease ends. PostgreSQL skips rows another sender is claiming."""
        now = datetime.now(UTC)
        with self.store.session() as session:
            due = session.execute(
                select(OutboxEvent)
                .where(OutboxEvent.status == PENDING, OutboxEvent.next_attempt_at <= now)
                .order_by(OutboxEvent.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
            claimed = list(due)
            for event in claimed:
                event.next_attempt_at = now + lease
            return claimed

    def delivered(self, event_id: int) -> None:
        self._set(event_id, status=DELIVERED, delivered_at=datetime.now(UTC), last_error=None)

    def failed(self, event: OutboxEvent, error: str, retry_at: datetime, max_attempts: int) -> str:
        """Count a failed attempt; the row is dead after ``max_attempts``. Returns its status."""
        attempts = event.attempts + 1
        status = DEAD if attempts >= max_attempts else PENDING
        self._set(
            event.id,
            status=status,
            attempts=attempts,
            next_attempt_at=retry_at,
            last_error=error[:256],
        )
        return status

    def defer(self, event_ids: Iterable[int], retry_at: datetime) -> None:
        """Try again later without counting an attempt (its URL was just found down)."""
        ids = list(event_ids)
        if ids:
            with self.store.session() as session:
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(ids), OutboxEvent.status == PENDING)
                    .values(next_attempt_at=retry_at)
                )

    def resend(self, event_ids: Iterable[int] | None = None, status: str = DEAD) -> int:
        """Put rows back in the queue with a fresh attempt count: the given ids, or every row
        in ``status`` (dead by default). Returns how many."""
        query = update(OutboxEvent).values(
            status=PENDING, attempts=0, next_attempt_at=datetime.now(UTC), last_error=None
        )
        if event_ids is not None:
            query = query.where(OutboxEvent.id.in_(list(event_ids)))
        else:
            query = query.where(OutboxEvent.status == status)
        with self.store.session() as session:
            return int(session.execute(query).rowcount)  # type: ignore[attr-defined]

    def listed(self, status: str | None = None, limit: int = 100) -> list[OutboxEvent]:
        query = select(OutboxEvent).order_by(OutboxEvent.id.desc()).limit(limit)
        if status is not None:
            query = query.where(OutboxEvent.status == status)
        with self.store.session() as session:
            return list(session.execute(query).scalars())

    def counts(self) -> dict[str, int]:
        with self.store.session() as session:
            found = session.execute(
                select(OutboxEvent.status, func.count(OutboxEvent.id)).group_by(OutboxEvent.status)
            )
            return {status: int(n) for status, n in found.all()}

    def _set(self, event_id: int, **values: Any) -> None:
        with self.store.session() as session:
            session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(**values))
