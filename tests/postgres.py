"""Resetting the test PostgreSQL between tests, whatever tables the migrations have added."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from declinerisk.store.database import Store, open_store

POSTGRES_URL = os.environ.get("DECLINERISK_TEST_POSTGRES_URL")


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
