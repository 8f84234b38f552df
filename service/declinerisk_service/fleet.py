"""Model reloads that reach every worker: processes of one server (``serve --workers N``) or
instances behind a load balancer, all on one store.

A reload request lands on one worker. It loads the model itself (a refused model is never
published), then advances the store's model pointer (:mod:`declinerisk.store.model_pointer`).
Every worker polls the pointer about once a second in a lifespan task and loads the model when
the generation passes the one it applied; each swap is the slot's one-step swap, so no request
sees a half-loaded model. A worker that cannot load it keeps serving its model, says why in
``/readyz`` and the ``declinerisk_model_reload_failures_total`` metric, and tries again later
(on another instance the model folder may not have arrived yet).

Polling rather than PostgreSQL's LISTEN/NOTIFY: it works the same on SQLite, needs no
connection held open per worker, and survives the store going away and coming back; one
primary-key lookup per worker per second costs the database nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from declinerisk.store.database import Store
from declinerisk.store.model_pointer import ModelPointer, publish, read_pointer
from declinerisk_service.state import ModelSlot

log = logging.getLogger("declinerisk.service")

WORKER_HEADER = "x-declinerisk-worker"
UNTOLD = (
    "reloaded by this worker only: the store is unreachable, so the other workers keep their "
    "model; reload again once the store is back"
)


class ModelFollower:
    """Keeps this worker's model at the fleet's pointer.

    ``on_swap`` gets the version now served and its generation; ``on_failure`` is called
    when a published model is refused here. ``retry_seconds`` spaces the attempts at a model
    that was refused.
    """

    def __init__(
        self,
        slot: ModelSlot,
        store: Store,
        configured: str,
        on_swap: Callable[[str, int], None],
        on_failure: Callable[[], None],
        retry_seconds: float = 30.0,
    ) -> None:
        self.worker = str(os.getpid())
        self.generation = 0
        self.error: str | None = None
        self._slot = slot
        self._store = store
        self._configured = configured
        self._on_swap = on_swap
        self._on_failure = on_failure
        self._retry_seconds = retry_seconds
        self._refused: tuple[int, float] | None = None  # (generation, when to try again)
        self._joined = False
        # One reload at a time in this worker, whether asked for or followed, so the
        # generation applied always names the model in the slot.
        self._lock = threading.Lock()

    def join(self) -> None:
        """At start-up: adopt the fleet's last reload if it was published under this worker's
        configured model (a restarted worker joins its siblings); a deployment configured
        with another model starts from that model and follows later reloads."""
        pointer = read_pointer(self._store)
        with self._lock:
            self._joined = True
            if pointer.version is not None and pointer.configured == self._configured:
                self._apply(pointer)
            else:
                self.generation = pointer.generation
                self._on_swap(self._slot.current.version, self.generation)  # gauge = /readyz

    def reload(self, version: str | None) -> tuple[bool, str | None]:
        """The admin request: load here, then tell the other workers. Returns (reloaded,
        reason), as :meth:`ModelSlot.try_reload`."""
        with self._lock:
            ok, reason = self._slot.try_reload(version)
            if not ok:
                return ok, reason
            try:
                pointer = publish(self._store, version, self._configured)
            except Exception as exc:  # any database failure: this worker has the model
                log.warning("model pointer not advanced (%s)", type(exc).__name__)
                self._on_swap(self._slot.current.version, self.generation)
                return True, UNTOLD
            self.generation = pointer.generation
            self.error = None
            self._refused = None
            self._on_swap(self._slot.current.version, self.generation)
            return True, None

    def poll(self) -> bool:
        """One look at the pointer; True when a model was swapped in."""
        if not self._joined:  # the store was down at start-up
            self.join()
            return False
        pointer = read_pointer(self._store)
        with self._lock:
            if pointer.generation <= self.generation:
                return False
            if self._refused is not None:
                refused, retry_at = self._refused
                if refused == pointer.generation and time.monotonic() < retry_at:
                    return False
            return self._apply(pointer)

    def _apply(self, pointer: ModelPointer) -> bool:
        ok, reason = self._slot.try_reload(pointer.version)
        if not ok:
            self.error = reason
            self._refused = (pointer.generation, time.monotonic() + self._retry_seconds)
            self._on_failure()
            return False
        self.generation = pointer.generation
        self.error = None
        self._refused = None
        version = self._slot.current.version
        self._on_swap(version, self.generation)
        log.info("worker %s serves model %s (generation %d)", self.worker, version, self.generation)
        return True


async def follow(follower: ModelFollower, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(follower.poll)
        except Exception as exc:  # the store is down: look again next time
            log.debug("model pointer poll failed (%s)", type(exc).__name__)


def start(follower: ModelFollower, interval: float) -> asyncio.Task[None]:
    return asyncio.create_task(follow(follower, interval), name="model-follower")


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def worker_header(app: ASGIApp) -> ASGIApp:
    """Pure ASGI middleware naming the worker process that answered (behind a load balancer
    or with several workers, which one holds which model)."""
    worker = str(os.getpid()).encode()

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def stamp(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (WORKER_HEADER.encode(), worker),
                ]
            await send(message)

        await app(scope, receive, stamp)

    return named
