"""Writes score records to the store from a background thread, so requests never wait on it.

Records are queued by the request and inserted in batches. When the database refuses a batch,
the batch is appended to a local spool file (JSON lines) and replayed, oldest first, once the
database accepts writes again; nothing is dropped. ``flush`` waits until everything queued so
far has been written or spooled. Several workers may share one spool file: every touch of
it holds :func:`declinerisk.store.spool_lock.spool_lock`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from declinerisk.scoring.predictor import ScoredOffer
from declinerisk.store.database import Store
from declinerisk.store.spool_lock import spool_lock

log = logging.getLogger("declinerisk.recorder")

BATCH = 2_000
RETRY_SECONDS = 2.0
# How long a write waits for more rows after the first (the response has gone already; a
# flush or stop waits at most this much longer).
LINGER_SECONDS = 0.05


@dataclass(frozen=True)
class _Flush:
    """A control message: set ``done`` once everything queued before it is written."""

    done: threading.Event


@dataclass(frozen=True)
class _Stop:
    """A control message: write what is queued, then end the thread."""


_Item = list[dict[str, Any]] | _Flush | _Stop


class ScoreRecorder:
    def __init__(
        self, store: Store, spool: Path, on_failure: Callable[[int], None] | None = None
    ) -> None:
        self._store = store
        self._spool = spool
        self._on_failure = on_failure
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="score-recorder", daemon=True)
        self._thread.start()

    def record(self, rows: list[dict[str, Any]]) -> None:
        self._queue.put(rows)

    def flush(self, timeout: float = 30.0) -> None:
        done = threading.Event()
        self._queue.put(_Flush(done))
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(_Stop())
        self._thread.join(timeout=30)

    def forget(self, offer_id: str) -> int:
        """Drop an erased offer's records from the spool; how many were there."""
        with spool_lock(self._spool):
            return drop_spooled(self._spool, offer_id)

    def spooled_for(self, offer_id: str) -> list[dict[str, Any]]:
        """The spooled records of one offer (an access export)."""
        with spool_lock(self._spool):
            return spooled_rows(self._spool, offer_id)

    @property
    def spooled(self) -> int:
        """Records waiting in the spool file for the database to come back."""
        with spool_lock(self._spool):
            if not self._spool.exists():
                return 0
            with self._spool.open() as handle:
                return sum(1 for _ in handle)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=RETRY_SECONDS)
            except queue.Empty:
                self._retry_spool()  # the database may be back while no scores arrive
                continue
            batch, control = self._drain(item)
            self._write(batch)
            if isinstance(control, _Flush):
                control.done.set()
            elif isinstance(control, _Stop):
                return

    def _drain(self, first: _Item) -> tuple[list[dict[str, Any]], _Flush | _Stop | None]:
        """Rows queued so far, up to a batch, joined into one write; stops at a control
        message, which is handled once the rows before it are written.

        When fewer than a batch are waiting it waits ``LINGER_SECONDS`` once for more: under
        load a transaction costs far more than a row, and one-offer requests come one by
        one; sleeping (rather than waking for each queued item) spares the request threads a
        hand-off per put. A backlog is written at once, a batch at a time."""
        batch, control = self._take(first)
        if control is None and len(batch) < BATCH:
            time.sleep(LINGER_SECONDS)
            try:
                more, control = self._take(self._queue.get_nowait(), len(batch))
            except queue.Empty:
                return batch, None
            batch.extend(more)
        return batch, control

    def _take(
        self, item: _Item, have: int = 0
    ) -> tuple[list[dict[str, Any]], _Flush | _Stop | None]:
        """Queued rows from ``item`` on, until a control message, ``BATCH`` rows in all (with
        ``have`` taken already) or an empty queue."""
        batch: list[dict[str, Any]] = []
        while True:
            if not isinstance(item, list):
                return batch, item
            batch.extend(item)
            if have + len(batch) >= BATCH:
                return batch, None
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, None

    def _write(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._replay_spool()
            self._store.add_scores(batch)
        except Exception as exc:  # any database failure: keep the records, try later
            log.warning(
                "store write failed (%s); spooling %d records", type(exc).__name__, len(batch)
            )
            self._append_spool(batch)
            if self._on_failure:
                self._on_failure(len(batch))

    def _retry_spool(self) -> None:
        if not self._spool.exists():
            return
        try:
            self._replay_spool()
        except Exception as exc:  # still down: the spool stays for the next try
            log.debug("spool replay failed (%s)", type(exc).__name__)

    def _append_spool(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        with spool_lock(self._spool):
            self._spool.parent.mkdir(parents=True, exist_ok=True)
            with self._spool.open("a", encoding="utf-8") as handle:
                for row in batch:
                    handle.write(json.dumps(row, default=_json_default) + "\n")

    def _replay_spool(self) -> None:
        if not self._spool.exists():  # the common case, decided without taking the lock
            return
        with spool_lock(self._spool):
            if not self._spool.exists():
                return
            rows = [
                _revive(json.loads(line))
                for line in self._spool.read_text().splitlines()
                if line.strip()
            ]
            if rows:
                self._store.add_scores(rows)
            self._spool.unlink()
            log.info("replayed %d spooled score records", len(rows))


def score_rows(
    request_id: str,
    records: Sequence[Mapping[str, Any]],
    scored: Sequence[ScoredOffer],
    now: datetime,
) -> list[dict[str, Any]]:
    """Store rows for scored offers: the record's columns, plus ``what_ifs`` and ``warnings``
    for the outbound events (the store keeps only its columns)."""
    return [
        {
            "request_id": request_id,
            "offer_id": offer.offer_id,
            "model_version": offer.model_version,
            "inputs": dict(record),
            "probability": offer.decline_probability,
            "band": offer.risk_band,
            "reasons": [r.__dict__ for r in offer.reasons],
            "action": offer.action,
            "scored_at": now,
            "what_ifs": [w.__dict__ for w in offer.what_ifs],
            "warnings": list(offer.warnings),
        }
        for record, offer in zip(records, scored, strict=True)
    ]


def spooled_rows(spool: Path, offer_id: str | None = None) -> list[dict[str, Any]]:
    """The records waiting in a spool file (only ``offer_id``'s when given)."""
    if not spool.exists():
        return []
    rows = [_revive(json.loads(line)) for line in spool.read_text().splitlines() if line.strip()]
    return [row for row in rows if offer_id is None or str(row.get("offer_id")) == offer_id]


def drop_spooled(spool: Path, offer_id: str) -> int:
    """Rewrite the spool without ``offer_id``'s records (atomically); how many it held."""
    if not spool.exists():
        return 0
    lines = [line for line in spool.read_text().splitlines() if line.strip()]
    kept = [line for line in lines if str(json.loads(line).get("offer_id")) != offer_id]
    if len(kept) == len(lines):
        return 0
    if kept:
        fresh = spool.with_name(spool.name + ".tmp")
        fresh.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        fresh.replace(spool)
    else:
        spool.unlink()
    return len(lines) - len(kept)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    return str(value)


def _revive(row: dict[str, Any]) -> dict[str, Any]:
    stamp = row.get("scored_at")
    if isinstance(stamp, dict) and "__datetime__" in stamp:
        row["scored_at"] = datetime.fromisoformat(stamp["__datetime__"])
    return row
