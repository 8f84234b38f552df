"""Connector deliveries already processed, so an at-least-once ATS is acted on once.

The delivery id (Greenhouse's ``Greenhouse-Event-ID``) is written in the same transaction as
what the delivery caused (a score record and its events, or an outcome), so a redelivery after
a crash or restart finds it and is acknowledged without being processed again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from declinerisk.store.database import Store
from declinerisk.store.records import Base


class ConnectorEvent(Base):
    __tablename__ = "connector_events"
    __table_args__ = (UniqueConstraint("connector", "event_id", name="uq_connector_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(256))
    result: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def seen(store: Store, connector: str, event_id: str) -> bool:
    with store.session() as session:
        found = session.execute(
            select(ConnectorEvent.id).where(
                ConnectorEvent.connector == connector, ConnectorEvent.event_id == event_id
            )
        ).first()
    return found is not None


def mark(session: Session, connector: str, event_id: str, result: str) -> None:
    """Record the delivery in ``session``: a second one for the same id fails the
    transaction with an IntegrityError, so its effects are never written twice."""
    session.add(
        ConnectorEvent(
            connector=connector, event_id=event_id, result=result, received_at=datetime.now(UTC)
        )
    )
