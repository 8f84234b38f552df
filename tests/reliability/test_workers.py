"""Two service workers on one PostgreSQL under 60 s of load at 16 connections, with a model
reload half-way: no error, one store row per successful score and no duplicate, and after the
reload both workers answer with the new model.

``declinerisk serve --workers 2`` runs as a real server on 127.0.0.1 with real models: the
one the session trained, and a second trained here so the reload changes the version.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from declinerisk.data.mapping import ColumnMapping
from declinerisk.train.run import TrainResult, run
from tests.factories import fast_config
from tests.postgres import POSTGRES_URL, drop_everything

KEY = "workers-load-key"
LOAD_SECONDS = 60.0
RELOAD_AT = 25.0  # seconds into the load
SETTLE = 5.0  # the poll is 1 s; a real model loads in about a second
CONNECTIONS = 16
RECONNECT_SECONDS = 5.0


@dataclass
class Answer:
    at: float  # seconds since the load began
    status: int  # 0: no HTTP answer
    request_id: str = ""
    model_version: str = ""
    worker: str = ""


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    reload: dict[str, object] = field(default_factory=dict)
    reload_done_at: float = 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _connection(url: str, n: int, start: float, load: Load) -> None:
    """One of the concurrent connections, sending single offers. A connection sticks to the
    worker that accepted it, so it is replaced every few seconds (as a load balancer's are):
    over the minute both workers get a share whichever accepted the first ones."""
    i = 0
    while time.monotonic() - start < LOAD_SECONDS:
        async with httpx.AsyncClient(timeout=30.0) as client:
            until = time.monotonic() + RECONNECT_SECONDS
            while (now := time.monotonic()) < until and now - start < LOAD_SECONDS:
                i += 1
                load.answers.append(await _score(client, url, f"c{n}-{i}", i, now - start))


async def _score(client: httpx.AsyncClient, url: str, offer_id: str, i: int, at: float) -> Answer:
    body = {
        "offers": [
            {
                "offer_id": offer_id,
                "days_in_process": 5 + i % 60,
                "contacts_per_week": 1.5,
                "comp_delta_pct": -3.0,
                "competing_offers": i % 4,
            }
        ]
    }
    try:
        answer = await client.post(f"{url}/v1/scores", json=body, headers={"X-API-Key": KEY})
    except httpx.HTTPError:
        return Answer(at, 0)
    worker = answer.headers.get("x-declinerisk-worker", "")
    if answer.status_code != 200:
        return Answer(at, answer.status_code, worker=worker)
    data = answer.json()
    return Answer(at, 200, data["request_id"], data["model_version"], worker)


async def _reload(url: str, version: str, start: float, load: Load) -> None:
    await asyncio.sleep(RELOAD_AT)
    async with httpx.AsyncClient(timeout=60.0) as client:
        answer = await client.post(
            f"{url}/v1/admin/reload", json={"version": version}, headers={"X-API-Key": KEY}
        )
    load.reload = {"status": answer.status_code, **answer.json()}
    load.reload_done_at = time.monotonic() - start


async def _load(url: str, version: str) -> Load:
    load = Load()
    start = time.monotonic()
    await asyncio.gather(
        _reload(url, version, start, load),
        *(_connection(url, n, start, load) for n in range(CONNECTIONS)),
    )
    return load


def _workers_answering(url: str) -> dict[str, dict[str, object]]:
    """``/readyz`` of each worker, asked over fresh connections until both have answered."""
    seen: dict[str, dict[str, object]] = {}
    for _ in range(200):
        with httpx.Client(timeout=10.0) as client:  # a new connection each time
            body = client.get(f"{url}/readyz").json()
        seen[str(body["worker"])] = body
        if len(seen) == 2:
            break
    return seen


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited at start-up"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready in 120 s")


def _stored(url: str) -> tuple[int, set[str], Counter[str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        distinct = connection.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT request_id, offer_id FROM score_records) d")
        ).scalar_one()
        request_ids = set(
            connection.execute(text("SELECT request_id FROM score_records")).scalars()
        )
        versions = Counter(
            dict(
                connection.execute(
                    text("SELECT model_version, count(*) FROM score_records GROUP BY 1")
                ).all()
            )
        )
    engine.dispose()
    return int(distinct), request_ids, versions


@pytest.fixture
def postgres_url() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set DECLINERISK_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
        pytest.skip("set DECLINERISK_TEST_POSTGRES_URL to run the workers load test")
    engine = create_engine(POSTGRES_URL)
    drop_everything(engine)  # the workers start on an empty database and migrate it
    engine.dispose()
    return POSTGRES_URL


@pytest.mark.slow
def test_two_workers_on_one_postgres_under_load_lose_nothing_and_all_follow_a_reload(
    tmp_path: Path, trained: TrainResult, demo_csv: Path, postgres_url: str
) -> None:
    models = tmp_path / "models"
    first = models / trained.manifest.version
    shutil.copytree(trained.folder, first)
    second = run(fast_config(models), demo_csv, ColumnMapping()).manifest.version
    assert second != trained.manifest.version
    port = _free_port()
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "DECLINERISK_MODELS_DIR": str(models),
        "DECLINERISK_MODEL": str(first),
        "DECLINERISK_DATABASE_URL": postgres_url,
        "DECLINERISK_SPOOL_PATH": str(tmp_path / "spool.jsonl"),
        "DECLINERISK_API_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest(),
    }
    command = [sys.executable, "-m", "declinerisk", "serve", "--workers", "2"]
    command += ["--port", str(port), "--log-level", "warning"]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        load = asyncio.run(_load(url, second))
        workers = _workers_answering(url)
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: each worker's recorder flushes
        server.wait(timeout=60)
        log.close()

    ok = [a for a in load.answers if a.status == 200]
    failed = [a for a in load.answers if a.status != 200]
    distinct, stored_requests, stored_versions = _stored(postgres_url)
    after = [a for a in ok if a.at > load.reload_done_at + SETTLE]
    seen = workers.items()
    figures = {
        "requests": len(load.answers),
        "errors": len(failed),
        "store_rows_distinct": distinct,
        "stored_by_version": dict(stored_versions),
        "answered_by_worker": dict(Counter(a.worker for a in ok)),
        "reload": load.reload,
        "reload_done_at_s": round(load.reload_done_at, 2),
        "workers_after": {w: (b["model_version"], b["model_generation"]) for w, b in seen},
    }
    print(f"\n2 workers, {LOAD_SECONDS:.0f} s at {CONNECTIONS} connections: {figures}")
    server_log = (tmp_path / "server.log").read_text(errors="replace")

    assert not failed, f"{len(failed)} failed requests, e.g. {failed[:3]}\n{server_log[-2000:]}"
    assert len(ok) > 300
    # Every successful score is in the store once: same requests, no duplicate.
    assert sum(stored_versions.values()) == distinct == len(ok)
    assert stored_requests == {a.request_id for a in ok}
    assert stored_versions == Counter(a.model_version for a in ok)
    # The load was spread over both workers, and the reload reached each of them.
    assert len({a.worker for a in ok}) == 2
    assert load.reload == {"status": 200, "reloaded": True, "model_version": second, "reason": None}
    assert {a.model_version for a in ok if a.at < RELOAD_AT} == {trained.manifest.version}
    assert after and {a.model_version for a in after} == {second}
    assert len({a.worker for a in after}) == 2
    assert len(workers) == 2
    for body in workers.values():
        assert body["model_version"] == second and body["model_generation"] == 1
        assert body["reload_error"] is None
    assert server.returncode == 0, server_log[-2000:]
