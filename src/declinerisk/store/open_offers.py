"""Reads for a recruiter's list: the open offers (latest score, no outcome yet), one offer's
score history, and the notes that an offer's recommended action was done.

Only reads and one small write over :class:`~declinerisk.store.database.Store`; no scoring here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from declinerisk.store.database import Store
from declinerisk.store.records import Base, OutcomeRecord, ScoreRecord


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
    what_if: dict[str, Any] | None  # the lever whose estimate is lowest, when one lowers it
    department: str | None
    scored_at: datetime


@dataclass(frozen=True)
class Filters:
    department: str | None = None
    band: str | None = None


COLUMNS = (
    ScoreRecord.id,
    ScoreRecord.offer_id,
    ScoreRecord.probability,
    ScoreRecord.band,
    ScoreRecord.reasons,
    ScoreRecord.action,
    ScoreRecord.what_ifs,
    ScoreRecord.inputs["department"].as_string(),  # not the whole inputs: decoded in SQL
    ScoreRecord.scored_at,
)


def _open(row: Any) -> OpenOffer:
    ref, offer_id, probability, band, reasons, action, what_ifs, department, scored_at = row
    return OpenOffer(
        ref=ref,
        offer_id=offer_id,
        probability=probability,
        band=band,
        reasons=reasons,
        action=action,
        what_if=_best(what_ifs or [], probability),
        department=str(department) if department is not None else None,
        scored_at=scored_at,
    )


def _best(what_ifs: list[dict[str, Any]], probability: float) -> dict[str, Any] | None:
    lower = [w for w in what_ifs if w["probability"] < probability]
    return min(lower, key=lambda w: w["probability"]) if lower else None


def _latest_ids() -> Any:
    """The newest score record of each offer that has no outcome."""
    decided = select(OutcomeRecord.offer_id)
    return (
        select(func.max(ScoreRecord.id))
        .where(ScoreRecord.offer_id.not_in(decided))
        .group_by(ScoreRecord.offer_id)
    )


def all_open_offers(store: Store) -> list[OpenOffer]:
    """Every open offer, riskiest first (ties by offer id): one query, plain rows."""
    query = (
        select(*COLUMNS)
        .where(ScoreRecord.id.in_(_latest_ids()))
        .order_by(ScoreRecord.probability.desc(), ScoreRecord.offer_id)
    )
    with store.session() as session:
        return [_open(row) for row in session.execute(query)]


def filtered(offers: list[OpenOffer], filters: Filters) -> list[OpenOffer]:
    """The offers in the chosen department and band (either may be unset), order kept."""
    return [
        o
        for o in offers
        if (not filters.department or o.department == filters.department)
        and (not filters.band or o.band == filters.band)
    ]


def departments(offers: list[OpenOffer]) -> list[str]:
    """The departments among ``offers``, sorted."""
    return sorted({o.department for o in offers if o.department})


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
