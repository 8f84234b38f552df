"""Reads for a recruiter's list: the open offers (latest score, no outcome yet), one offer's
score history, and the notes that an offer's recommended action was done.

Only reads and one small write over :class:`~declinerisk.store.Store`; no scoring here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from declinerisk.store import Base, OutcomeRecord, ScoreRecord, Store


class ActionNote(Base):
    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offer_id: Mapped[str] = mapped_column(String(256), index=True)
    action: Mapped[str] = mapped_column(String(1024))
    note: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class OpenOffer:
    """An offer's latest score; ``ref`` is that score record's id (opaque, for links)."""

    ref: int
    offer_id: str
    probability: float
    band: str
    reasons: list[dict[str, Any]]
    action: str
    what_ifs: list[dict[str, Any]]
    department: str | None
    scored_at: datetime


@dataclass(frozen=True)
class Filters:
    department: str | None = None
    band: str | None = None


def _open(record: ScoreRecord) -> OpenOffer:
    department = record.inputs.get("department")
    return OpenOffer(
        ref=record.id,
        offer_id=record.offer_id,
        probability=record.probability,
        band=record.band,
        reasons=record.reasons,
        action=record.action,
        what_ifs=record.what_ifs or [],
        department=str(department) if department is not None else None,
        scored_at=record.scored_at,
    )


def _latest_ids() -> Any:
    """The newest score record of each offer that has no outcome."""
    decided = select(OutcomeRecord.offer_id)
    return (
        select(func.max(ScoreRecord.id))
        .where(ScoreRecord.offer_id.not_in(decided))
        .group_by(ScoreRecord.offer_id)
    )


def open_offers(store: Store, filters: Filters = Filters()) -> list[OpenOffer]:
    """Open offers, riskiest first (ties by offer id), filtered by department and band."""
    query = select(ScoreRecord).where(ScoreRecord.id.in_(_latest_ids()))
    if filters.band:
        query = query.where(ScoreRecord.band == filters.band)
    query = query.order_by(ScoreRecord.probability.desc(), ScoreRecord.offer_id)
    with store.session() as session:
        offers = [_open(r) for r in session.execute(query).scalars()]
    if filters.department:
        offers = [o for o in offers if o.department == filters.department]
    return offers


def departments(store: Store) -> list[str]:
    """The departments among open offers, sorted."""
    return sorted({o.department for o in open_offers(store) if o.department})


def score_by_ref(store: Store, ref: int) -> ScoreRecord | None:
    with store.session() as session:
        return session.get(ScoreRecord, ref)


def history(store: Store, offer_id: str) -> list[ScoreRecord]:
    """Every score the offer was given, oldest first."""
    return store.scores(offer_id)


def outcome_of(store: Store, offer_id: str) -> OutcomeRecord | None:
    """The latest outcome recorded for the offer, if any."""
    with store.session() as session:
        found = session.execute(
            select(OutcomeRecord)
            .where(OutcomeRecord.offer_id == offer_id)
            .order_by(OutcomeRecord.id.desc())
            .limit(1)
        )
        return found.scalar_one_or_none()


def add_action_note(store: Store, offer_id: str, action: str, note: str | None) -> None:
    with store.session() as session:
        session.add(ActionNote(offer_id=offer_id, action=action, note=note, done_at=_now()))


def action_notes(store: Store, offer_id: str) -> list[ActionNote]:
    with store.session() as session:
        found = session.execute(
            select(ActionNote).where(ActionNote.offer_id == offer_id).order_by(ActionNote.id)
        )
        return list(found.scalars())


def _now() -> datetime:
    return datetime.now(UTC)
