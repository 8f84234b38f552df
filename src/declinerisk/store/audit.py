"""The audit trail: who did what to the service's data or model, when, and how it went.

One row per admin action (reload, erase, export, purge, event list or re-send, audit read) and
per refused use of a key outside its scope: the time, the key id (the first 12 hex characters
of the key's configured SHA-256 digest, never the key), the scope used, the action, the
outcome and a detail made of counts only. No offer id or other candidate value is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from declinerisk.store.database import Store
from declinerisk.store.records import Base

KEY_ID_LENGTH = 12


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    scope: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(256), nullable=True)


def key_id(digest: str) -> str:
    """The short, non-secret id of a key: the start of its configured SHA-256 digest."""
    return digest[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class Entry:
    """What one audit row says. ``key_id`` is None for the CLI and the scheduler."""

    action: str
    outcome: str
    scope: str
    key_id: str | None = None
    detail: str | None = None


def record(store: Store, entry: Entry, at: datetime | None = None) -> None:
    """Append one row."""
    with store.session() as session:
        session.add(
            AuditEvent(
                at=at or datetime.now(UTC),
                key_id=entry.key_id,
                scope=entry.scope[:16],
                action=entry.action[:32],
                outcome=entry.outcome[:32],
                detail=entry.detail[:256] if entry.detail else None,
            )
        )


def listed(store: Store, limit: int = 100, action: str | None = None) -> list[AuditEvent]:
    """The newest rows first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with store.session() as session:
        return list(session.execute(query).scalars())
