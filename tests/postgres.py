"""The test PostgreSQL: one database per pytest-xdist worker, reset between tests whatever
tables the migrations have added.

``make unit`` runs the suite on two workers; each gets its own database on the one server, so
one worker's ``TRUNCATE`` or ``DROP SCHEMA`` never lands in the middle of the other's test
(the URL's role must be allowed to create databases; they are kept for the next run).
Tests that stop the server itself are marked ``serial`` and run after, alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from declinerisk.store.database import Store, open_store


def worker_url(url: str, worker: str | None) -> str:
    """``url`` with the database of pytest-xdist worker ``worker`` (``gw0``...), or as given
    outside xdist."""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _worker_database(url: str | None, worker: str | None) -> str | None:
    """This worker's database on the test server, created when missing."""
    if not url or not worker:
        return url
    mine = worker_url(url, worker)
    name = make_url(mine).database
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                # Another run may have made it since (DuplicateDatabase).
                with contextlib.suppress(ProgrammingError):
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return mine


POSTGRES_URL = _worker_database(
    os.environ.get("DECLINERISK_TEST_POSTGRES_URL"), os.environ.get("PYTEST_XDIST_WORKER")
)


def store_for(database: str, tmp_path: Path, what: str, **options: Any) -> Store:
    """A store on ``database`` ("sqlite" or "postgresql"), emptied; PostgreSQL tests skip
    without ``DECLINERISK_TEST_POSTGRES_URL`` and fail under CI, which must set it."""
    url = f"sqlite:///{tmp_path}/store.db"
    if database == "postgresql":
        if not POSTGRES_URL:
            if os.environ.get("CI"):
                pytest.fail("CI must set DECLINERISK_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
            pytest.skip(f"set DECLINERISK_TEST_POSTGRES_URL to run the {what} tests on PostgreSQL")
        url = POSTGRES_URL
    opened = open_store(url, **options)
    if database == "postgresql":
        empty_tables(opened.engine)
    return opened


def empty_tables(engine: Engine) -> None:
    """Every table of the store emptied (migrations kept), identities restarted."""
    with engine.begin() as connection:
        names = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        tables = ", ".join(f'"{name}"' for name in names)
        if tables:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))


def drop_everything(engine: Engine) -> None:
    """The public schema dropped and made again: the next store runs every migration."""
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
