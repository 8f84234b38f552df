"""Retention: score records, outcomes and outbound events older than a window are purged.

With ``keep_training`` an offer that has an outcome keeps the one score record the training
frame reads (its last score before the decision, see
:meth:`declinerisk.store.database.Store.training_frame`) and its outcomes; that record keeps its
inputs and the ``offer_date`` the frame would use, while its reasons and action (not needed
for training) are blanked. Everything else older than the window goes. Tombstones of erased
offers and the audit trail hold no candidate data and are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from declinerisk.data import schema
from declinerisk.events.outbox import OutboxEvent
from declinerisk.store import locks
from declinerisk.store.database import Store, _utc
from declinerisk.store.locks import hold_for_transaction
from declinerisk.store.records import OutcomeRecord, ScoreRecord

CHUNK = 500


@dataclass(frozen=True)
class RetentionPolicy:
    days: int
    keep_training: bool = False


@dataclass(frozen=True)
class Purged:
    scores: int
    outcomes: int
    events: int

    def detail(self) -> str:
        return f"scores={self.scores} outcomes={self.outcomes} events={self.events}"


def purge(store: Store, policy: RetentionPolicy, now: datetime) -> Purged:
    """Delete what is older than ``policy.days`` before ``now`` (records exactly at the
    boundary stay), in one transaction."""
    cutoff = now - timedelta(days=policy.days)
    with store.session() as session:
        # Every worker runs the schedule: one purge at a time, the next finds little left.
        hold_for_transaction(session, locks.PURGE)
        kept = _training_rows(session, cutoff) if policy.keep_training else {}
        kept_ids = set(kept.values())
        old_scores = session.execute(
            select(ScoreRecord.id).where(ScoreRecord.scored_at < cutoff)
        ).scalars()
        doomed = [i for i in old_scores if i not in kept_ids]
        for part in _chunks(doomed):
            session.execute(delete(ScoreRecord).where(ScoreRecord.id.in_(part)))
        outcomes = delete(OutcomeRecord).where(OutcomeRecord.received_at < cutoff)
        if kept:
            outcomes = outcomes.where(OutcomeRecord.offer_id.not_in(sorted(kept)))
        gone_outcomes = int(session.execute(outcomes).rowcount)  # type: ignore[attr-defined]
        events = delete(OutboxEvent).where(OutboxEvent.created_at < cutoff)
        gone_events = int(session.execute(events).rowcount)  # type: ignore[attr-defined]
    return Purged(len(doomed), gone_outcomes, gone_events)


def _training_rows(session: Session, cutoff: datetime) -> dict[str, int]:
    """offer id -> the id of the score record the training frame reads, for labelled offers
    that have records older than ``cutoff``; those records are trimmed to what training needs."""
    offers = set(
        session.execute(
            select(ScoreRecord.offer_id).where(ScoreRecord.scored_at < cutoff).distinct()
        ).scalars()
    )
    decided: dict[str, datetime] = {}
    for part in _chunks(sorted(offers)):
        found = session.execute(
            select(OutcomeRecord).where(OutcomeRecord.offer_id.in_(part)).order_by(OutcomeRecord.id)
        ).scalars()
        for outcome in found:  # the latest outcome decides, as in the training frame
            decided[outcome.offer_id] = _utc(outcome.decided_at or outcome.received_at)
    kept: dict[str, int] = {}
    for part in _chunks(sorted(decided)):
        scores = session.execute(
            select(ScoreRecord)
            .where(ScoreRecord.offer_id.in_(part))
            .order_by(ScoreRecord.scored_at, ScoreRecord.id)
        ).scalars()
        first_day: dict[str, str] = {}
        sent: dict[str, str] = {}
        chosen: dict[str, ScoreRecord] = {}
        for score in scores:
            first_day.setdefault(score.offer_id, score.scored_at.date().isoformat())
            if score.inputs.get(schema.DATE_COLUMN):
                sent.setdefault(score.offer_id, score.inputs[schema.DATE_COLUMN])
            if _utc(score.scored_at) < decided[score.offer_id]:
                chosen[score.offer_id] = score
        for offer_id, score in chosen.items():
            kept[offer_id] = score.id
            if _utc(score.scored_at) >= cutoff:
                continue
            day = score.inputs.get(schema.DATE_COLUMN) or sent.get(offer_id) or first_day[offer_id]
            session.execute(
                update(ScoreRecord)
                .where(ScoreRecord.id == score.id)
                .values(inputs={**score.inputs, schema.DATE_COLUMN: day}, reasons=[], action="")
            )
    return kept


def _chunks(items: Iterable[int | str]) -> Iterable[list[int | str]]:
    part: list[int | str] = []
    for item in items:
        part.append(item)
        if len(part) == CHUNK:
            yield part
            part = []
    if part:
        yield part
