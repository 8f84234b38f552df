"""PostgreSQL stopped while requests flow: scoring answers, nothing is lost or duplicated."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from declinerisk_service.app import create_app
from tests.postgres import drop_everything
from tests.service.helpers import AUTH, fake_loader, offer, settings_for

URL = os.environ.get("DECLINERISK_TEST_POSTGRES_URL")
STOP = os.environ.get("DECLINERISK_TEST_POSTGRES_STOP")
START = os.environ.get("DECLINERISK_TEST_POSTGRES_START")

# They stop the one test server: `make unit` runs them after the parallel run, alone.
pytestmark = pytest.mark.serial


@pytest.fixture
def postgres_control() -> tuple[str, str, str]:
    if not (URL and STOP and START):
        if os.environ.get("CI"):
            pytest.fail("CI must start PostgreSQL through .ci/postgres.sh")
        pytest.skip("needs the PostgreSQL started by .ci/postgres.sh")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail("stops the shared PostgreSQL under other workers' tests: run it alone")
    engine = create_engine(URL)
    drop_everything(engine)
    engine.dispose()
    return URL, STOP, START


def _rows(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM score_records")).scalar_one()
        distinct = connection.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT request_id, offer_id FROM score_records) d")
        ).scalar_one()
    engine.dispose()
    return int(total), int(distinct)


def test_scores_are_spooled_while_postgres_is_down_and_written_once_it_returns(
    tmp_path: Path, postgres_control: tuple[str, str, str]
) -> None:
    url, stop, start = postgres_control
    settings = settings_for(tmp_path, database_url=url)
    with TestClient(create_app(settings, loader=fake_loader())) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        for i in range(5):
            assert (
                client.post(
                    "/v1/scores", json={"offers": [offer(f"up-{i}")]}, headers=AUTH
                ).status_code
                == 200
            )
        runtime.recorder.flush()
        assert _rows(url) == (5, 5)

        subprocess.run(stop, shell=True, check=True, timeout=60)
        try:
            for i in range(5):
                answer = client.post(
                    "/v1/scores", json={"offers": [offer(f"down-{i}")]}, headers=AUTH
                )
                assert answer.status_code == 200
            runtime.recorder.flush()
            assert runtime.recorder.spooled == 5
            outcome = client.post(
                "/v1/outcomes",
                headers=AUTH,
                json={"offer_id": "down-1", "event_id": "e1", "outcome": "declined"},
            )
            assert outcome.status_code == 503 and outcome.headers["Retry-After"] == "30"
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "degraded"
        finally:
            subprocess.run(start, shell=True, check=True, timeout=60)

        deadline = time.time() + 30
        while runtime.recorder.spooled and time.time() < deadline:
            time.sleep(0.5)
        assert runtime.recorder.spooled == 0
        assert _rows(url) == (10, 10)
        assert client.get("/readyz").json()["status"] == "ready"
        assert (
            client.post(
                "/v1/outcomes",
                headers=AUTH,
                json={"offer_id": "down-1", "event_id": "e1", "outcome": "declined"},
            ).status_code
            == 200
        )


def test_an_offer_erased_around_an_outage_stays_erased_after_postgres_and_service_restart(
    tmp_path: Path, postgres_control: tuple[str, str, str]
) -> None:
    url, stop, start = postgres_control
    events = {
        "event_urls": ["http://127.0.0.1:9/hook"],
        "event_secret": "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=",
        "event_backoff_seconds": 3600,
    }
    settings = settings_for(tmp_path, database_url=url, **events)
    spool = settings.spool_path
    with TestClient(create_app(settings, loader=fake_loader())) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        client.post("/v1/scores", json={"offers": [offer("gone")]}, headers=AUTH)
        client.post("/v1/scores", json={"offers": [offer("kept")]}, headers=AUTH)
        outcome = {"offer_id": "gone", "event_id": "e1", "outcome": "declined"}
        assert client.post("/v1/outcomes", headers=AUTH, json=outcome).status_code == 200
        runtime.recorder.flush()
        subprocess.run(stop, shell=True, check=True, timeout=60)
        try:
            client.post("/v1/scores", json={"offers": [offer("gone")]}, headers=AUTH)
            runtime.recorder.flush()
            assert runtime.recorder.spooled == 1
            down = client.post("/v1/admin/offers/erase", headers=AUTH, json={"offer_id": "gone"})
            assert down.status_code == 503  # nothing can be erased while the store is down
        finally:
            subprocess.run(start, shell=True, check=True, timeout=60)
        erased = client.post("/v1/admin/offers/erase", headers=AUTH, json={"offer_id": "gone"})
        assert erased.status_code == 200
        done = erased.json()
        # The spooled record was either still in the spool or already replayed into the table.
        assert done["scores"] + done["spooled"] == 2 and done["outcomes"] == 1
        assert done["events"] >= 1
    with TestClient(create_app(settings, loader=fake_loader())) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        runtime.recorder.flush()
        engine = create_engine(url)
        with engine.connect() as connection:
            held = [
                connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE offer_id = 'gone'")
                ).scalar_one()
                for table in ("score_records", "outcomes", "outbox_events")
            ]
            kept = connection.execute(
                text("SELECT count(*) FROM score_records WHERE offer_id = 'kept'")
            ).scalar_one()
        engine.dispose()
        assert held == [0, 0, 0] and kept == 1
        assert not spool.exists() or "gone" not in spool.read_text()
        assert client.post("/v1/admin/events/resend", headers=AUTH, json={}).status_code == 200
        listed = client.get("/v1/admin/events", headers=AUTH).json()["events"]
        assert {e["offer_id"] for e in listed} == {"kept"}
