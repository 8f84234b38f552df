"""The store's tables: score records, outcomes and erased-offer tombstones (SQLAlchemy 2 ORM).

Other parts add their own tables to the same :class:`Base` (the outbox, connector inbox, model
pointer); Alembic's migrations in ``store/migrations`` are what create and change them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class ScoreRecord(Base):
    __tablename__ = "score_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[str] = mapped_column(String(256), index=True)
    model_version: Mapped[str] = mapped_column(String(128))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(1024))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The model's estimates after each lever's action (the board shows them); null before 0003.
    what_ifs: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)


class OutcomeRecord(Base):
    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("offer_id", "event_id", name="uq_outcome_offer_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offer_id: Mapped[str] = mapped_column(String(256), index=True)
    event_id: Mapped[str] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16))
    decline_reason: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(32))


class ErasedOffer(Base):
    """A tombstone: the SHA-256 of an erased offer id (never the id), checked on every write
    so a spool replay, a redelivery or a late score never brings the offer back."""

    __tablename__ = "erased_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Below SQLite's smallest default limit of parameters per statement (999).
DIGESTS_PER_QUERY = 500


def offer_digest(offer_id: str) -> str:
    """The tombstone of an offer id."""
    return hashlib.sha256(b"declinerisk-erased-offer:" + offer_id.encode("utf-8")).hexdigest()


def erased_ids(session: Session, offer_ids: Iterable[str]) -> set[str]:
    """Those of ``offer_ids`` that were erased, asked in chunks: a spool replayed at once may
    hold more distinct offers than a statement may have parameters (999 on older SQLite).

    Most stores have erased nothing: one look at the tombstones says so before any offer is
    digested (a digest and a look-up cost ~1.7 us of a stored score's ~18 us)."""
    wanted = set(offer_ids)
    if not wanted or session.execute(select(ErasedOffer.id).limit(1)).first() is None:
        return set()
    digests = {offer_digest(offer_id): offer_id for offer_id in wanted}
    ordered = sorted(digests)
    found: set[str] = set()
    for start in range(0, len(ordered), DIGESTS_PER_QUERY):
        chunk = ordered[start : start + DIGESTS_PER_QUERY]
        query = select(ErasedOffer.digest).where(ErasedOffer.digest.in_(chunk))
        found.update(digests[digest] for digest in session.execute(query).scalars())
    return found


@dataclass(frozen=True)
class Outcome:
    offer_id: str
    event_id: str
    outcome: str
    decline_reason: str | None = None
    decided_at: datetime | None = None
    source: str = "api"
