"""Cluster-wide locks for work that must not run twice at once when several service workers
(processes of one server, or instances behind a load balancer) share one PostgreSQL.

PostgreSQL transaction-level advisory locks are used: they are released by the commit or
rollback, so a crashed holder never leaves one behind. SQLite needs none: it lets one writer
at a time into the file anyway.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

MIGRATE = "declinerisk.migrate"
PURGE = "declinerisk.purge"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's advisory lock key type)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hold_for_transaction(bind: Connection | Session, name: str) -> None:
    """Wait for the lock ``name`` and hold it until the current transaction ends."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    if dialect.name == "postgresql":
        bind.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
