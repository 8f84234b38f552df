"""Alembic environment: runs against the connection that
:func:`declinerisk.store.database.migrate` passes."""

from __future__ import annotations

from alembic import context

from declinerisk.store.records import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through declinerisk.store.database.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
