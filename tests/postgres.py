"""Resetting the test PostgreSQL between tests, whatever tables the migrations have added."""

from __future__ import annotations

from sqlalchemy import Engine, text


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
