"""Several worker processes spool to one file and replay it: no line torn, lost or doubled."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from declinerisk.store.database import Store, open_store
from declinerisk.store.recorder import ScoreRecorder

BATCHES = 20
ROWS = 25


class DownStore:
    """The database refusing every write (the recorder spools)."""

    def add_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        raise ConnectionError("the database is down")


def _row(worker: int, batch: int, i: int) -> dict[str, Any]:
    return {
        "request_id": f"w{worker}-b{batch}",
        "offer_id": f"o{i}",
        "model_version": "m1",
        "inputs": {"padding": "x" * 300},  # long lines, so unlocked appends would tear
        "probability": 0.5,
        "band": "medium",
        "reasons": [],
        "action": "wait",
        "scored_at": datetime.now(UTC),
    }


def spool_batches(spool: Path, worker: int) -> None:
    recorder = ScoreRecorder(DownStore(), spool)  # type: ignore[arg-type]
    for batch in range(BATCHES):
        recorder.record([_row(worker, batch, i) for i in range(ROWS)])
        recorder.flush()
    recorder.close()


def replay_repeatedly(spool: Path, url: str, rounds: int) -> None:
    store = open_store(url)
    recorder = ScoreRecorder(store, spool)
    for _ in range(rounds):
        recorder.record([])  # each write replays the spool first
        recorder.flush()
    recorder.close()
    store.engine.dispose()


def _run(*processes: multiprocessing.process.BaseProcess) -> None:
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0


def _stored(store: Store) -> tuple[int, int]:
    with store.engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM score_records")).scalar_one()
        distinct = connection.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT request_id, offer_id FROM score_records) d")
        ).scalar_one()
    return int(total), int(distinct)


def test_a_replay_racing_other_workers_spooling_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool.jsonl"
    url = f"sqlite:///{tmp_path}/store.db"
    store = open_store(url)
    context = multiprocessing.get_context("spawn")
    _run(
        context.Process(target=spool_batches, args=(spool, 0)),
        context.Process(target=spool_batches, args=(spool, 1)),
        context.Process(target=replay_repeatedly, args=(spool, url, 100)),
        context.Process(target=replay_repeatedly, args=(spool, url, 100)),
    )
    replay_repeatedly(spool, url, 1)  # whatever was spooled after the last replay
    # A torn or interleaved line would not parse: the replay would fail and keep the file.
    assert not spool.exists()
    assert _stored(store) == (2 * BATCHES * ROWS, 2 * BATCHES * ROWS)
    store.engine.dispose()
