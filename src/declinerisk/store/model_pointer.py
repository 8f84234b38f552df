"""The fleet's model pointer: which model every service worker should serve.

A reload request reaches one worker of many. That worker loads the model, then advances this
one row (the wanted model and a generation counter) in one atomic ``UPDATE``; every worker
polls the row and loads the model when the generation passes the one it applied. Workers that
reload at the same moment are ordered by the generations they get, so all end on the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from declinerisk.store.database import Store
from declinerisk.store.records import Base

NAME = "model"


class ModelPointerRow(Base):
    __tablename__ = "model_pointer"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    configured: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class ModelPointer:
    """``generation`` 0 means no reload was ever published.

    ``version`` is a folder of the models folder, or None for "each worker's configured model";
    ``configured`` is the configured model of the worker that published it (a worker starting
    with another configuration, i.e. a new deployment, does not adopt an old reload).
    """

    generation: int = 0
    version: str | None = None
    configured: str | None = None


def read_pointer(store: Store) -> ModelPointer:
    """The pointer as it stands (one primary-key lookup: cheap enough to poll every second)."""
    with store.session() as session:
        row = session.get(ModelPointerRow, NAME)
        if row is None:
            return ModelPointer()
        return ModelPointer(row.generation, row.version, row.configured)


def publish(store: Store, version: str | None, configured: str | None) -> ModelPointer:
    """Point every worker at ``version``; returns the pointer with its new generation."""
    try:
        return _advance(store, version, configured)
    except IntegrityError:  # another worker created the row at the same moment: it exists now
        return _advance(store, version, configured)


def _advance(store: Store, version: str | None, configured: str | None) -> ModelPointer:
    values = {"version": version, "configured": configured, "updated_at": datetime.now(UTC)}
    with store.session() as session:
        generation = session.execute(
            update(ModelPointerRow)
            .where(ModelPointerRow.name == NAME)
            .values(generation=ModelPointerRow.generation + 1, **values)
            .returning(ModelPointerRow.generation)
        ).scalar_one_or_none()
        if generation is None:
            generation = 1
            session.add(ModelPointerRow(name=NAME, generation=generation, **values))
    return ModelPointer(generation, version, configured)
