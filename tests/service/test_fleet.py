"""Several workers on one store: a reload reaches every one, a refused model stays local.

Each "worker" is an app of its own (its own slot, recorder and follower) on a shared store, as
processes of ``serve --workers N`` are. Polls are called directly, so no test waits on a
timer, except the one that proves the lifespan task polls.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from declinerisk.errors import ChecksumMismatchError
from declinerisk.scoring.predictor import Predictor
from declinerisk_service import fleet
from declinerisk_service.app import create_app
from declinerisk_service.fleet import UNTOLD
from declinerisk_service.state import Runtime
from tests.postgres import POSTGRES_URL, empty_tables
from tests.service.helpers import AUTH, FakePredictor, offer, settings_for

Workers = Callable[..., TestClient]


def loader(refuses: frozenset[str] = frozenset({"broken"})) -> Any:
    def load(version: str | None) -> Predictor:
        if version in refuses:
            raise ChecksumMismatchError(f"/srv/models/{version}/model.joblib: SHA-256 differs")
        return FakePredictor(version=version or "fake-1")

    return load


@pytest.fixture(params=["sqlite", "postgresql"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workers]:
    """Starts workers on one store: ``workers(refuses=..., **settings)``."""
    url = f"sqlite:///{tmp_path}/store.db"
    if request.param == "postgresql":
        if not POSTGRES_URL:
            if os.environ.get("CI"):
                pytest.fail("CI must set DECLINERISK_TEST_POSTGRES_URL")
            pytest.skip("set DECLINERISK_TEST_POSTGRES_URL to run the fleet tests on PostgreSQL")
        url = POSTGRES_URL
        engine = create_engine(url)
        empty_tables(engine)
        engine.dispose()
    with ExitStack() as stack:

        def start(refuses: frozenset[str] = frozenset({"broken"}), **overrides: Any) -> TestClient:
            values = {"database_url": url, "reload_poll_seconds": 300.0, **overrides}
            settings = settings_for(tmp_path, **values)
            app = create_app(settings, loader=loader(refuses))
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield start


def runtime(client: TestClient) -> Runtime:
    found: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return found


def served(client: TestClient) -> str:
    answer = client.post("/v1/scores", json={"offers": [offer()]}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["model_version"])


def test_a_reload_on_one_worker_reaches_the_others(workers: Workers) -> None:
    first, second, third = workers(), workers(), workers()
    reloaded = first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH).json()
    assert reloaded == {"reloaded": True, "model_version": "v2", "reason": None}
    assert served(first) == "v2" and served(second) == "fake-1"
    assert runtime(second).follower.poll() is True
    assert runtime(third).follower.poll() is True
    assert runtime(second).follower.poll() is False  # nothing new
    for client in (first, second, third):
        assert served(client) == "v2"
        ready = client.get("/readyz").json()
        assert ready["model_version"] == "v2" and ready["model_generation"] == 1
        assert ready["reload_error"] is None
        assert "declinerisk_model_generation 1.0" in client.get("/metrics").text


def test_a_model_refused_where_it_was_asked_for_is_not_published(workers: Workers) -> None:
    first, second = workers(), workers()
    refused = first.post("/v1/admin/reload", json={"version": "broken"}, headers=AUTH).json()
    assert refused["reloaded"] is False
    assert runtime(second).follower.poll() is False
    assert second.get("/readyz").json()["model_generation"] == 0


def test_a_worker_that_refuses_a_published_model_keeps_its_own_and_says_so(
    workers: Workers,
) -> None:
    first, picky = workers(), workers(refuses=frozenset({"broken", "v3"}))
    first.post("/v1/admin/reload", json={"version": "v3"}, headers=AUTH)
    assert runtime(picky).follower.poll() is False
    assert served(picky) == "fake-1"
    ready = picky.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model_generation"] == 0
    assert "SHA-256" in ready["reload_error"] and "/srv" not in ready["reload_error"]
    assert "declinerisk_model_reload_failures_total 1.0" in picky.get("/metrics").text
    assert runtime(picky).follower.poll() is False  # not retried before its delay
    first.post("/v1/admin/reload", json={"version": "v4"}, headers=AUTH)
    assert runtime(picky).follower.poll() is True  # a later reload is taken at once
    assert picky.get("/readyz").json()["reload_error"] is None and served(picky) == "v4"


def test_reloads_on_two_workers_at_once_end_with_both_on_the_last_one(workers: Workers) -> None:
    first, second = workers(), workers()
    first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH)
    second.post("/v1/admin/reload", json={"version": "v3"}, headers=AUTH)  # published later
    assert runtime(first).follower.poll() is True
    assert runtime(second).follower.poll() is False
    assert served(first) == served(second) == "v3"


def test_a_worker_started_after_a_reload_serves_the_reloaded_model(workers: Workers) -> None:
    first = workers()
    first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH)
    late = workers()
    assert served(late) == "v2"
    assert late.get("/readyz").json()["model_generation"] == 1


def test_a_deployment_with_another_configured_model_does_not_adopt_an_old_reload(
    workers: Workers, tmp_path: Path
) -> None:
    first = workers()
    first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH)
    redeployed = workers(model=str(tmp_path / "models" / "champion"))
    assert served(redeployed) == "fake-1"
    first.post("/v1/admin/reload", json={"version": "v5"}, headers=AUTH)
    assert runtime(redeployed).follower.poll() is True and served(redeployed) == "v5"


def test_the_lifespan_task_polls_without_being_asked(workers: Workers) -> None:
    first, second = workers(reload_poll_seconds=0.05), workers(reload_poll_seconds=0.05)
    first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH)
    deadline = time.monotonic() + 10
    while served(second) != "v2" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served(second) == "v2"


def test_a_reload_while_the_store_is_down_says_the_others_were_not_told(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = workers()

    def unreachable(*_: Any) -> None:
        raise OperationalError("UPDATE model_pointer", {}, ConnectionError("store down"))

    monkeypatch.setattr(fleet, "publish", unreachable)
    answer = first.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH).json()
    assert answer == {"reloaded": True, "model_version": "v2", "reason": UNTOLD}
    assert served(first) == "v2"
