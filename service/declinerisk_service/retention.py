"""The scheduled purge: a task of the lifespan that applies the retention window every
``DECLINERISK_RETENTION_INTERVAL_SECONDS`` (first at start-up), each run in the audit trail."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from declinerisk.store import audit
from declinerisk.store.database import Store
from declinerisk.store.retention import Purged, RetentionPolicy, purge
from declinerisk_service.settings import ServiceSettings

log = logging.getLogger("declinerisk.service")

Clock = Callable[[], datetime]


def policy_of(settings: ServiceSettings) -> RetentionPolicy | None:
    if settings.retention_days is None:
        return None
    return RetentionPolicy(settings.retention_days, settings.retention_keep_training)


def purge_now(
    store: Store, policy: RetentionPolicy, now: datetime, scope: str, key_id: str | None = None
) -> Purged:
    """Purge and write the audit row (a failure is written too, then raised)."""
    try:
        done = purge(store, policy, now)
    except Exception:
        with contextlib.suppress(Exception):  # the store is down: the row cannot be written
            audit.record(store, audit.Entry("purge", "failed", scope, key_id))
        raise
    audit.record(store, audit.Entry("purge", "done", scope, key_id, done.detail()))
    log.info("retention purge: %s", done.detail())
    return done


async def purge_periodically(
    store: Store, policy: RetentionPolicy, interval: float, clock: Clock
) -> None:
    while True:
        try:
            await run_in_threadpool(purge_now, store, policy, clock(), "schedule")
        except Exception as exc:  # the store is down: try again at the next interval
            log.warning("retention purge failed (%s)", type(exc).__name__)
        await asyncio.sleep(interval)


def start(
    settings: ServiceSettings, store: Store, clock: Clock | None = None
) -> asyncio.Task[None] | None:
    """The running purge task, or None when no window is configured."""
    policy = policy_of(settings)
    if policy is None:
        return None
    return asyncio.create_task(
        purge_periodically(
            store, policy, settings.retention_interval_seconds, clock or (lambda: datetime.now(UTC))
        ),
        name="retention-purge",
    )


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
