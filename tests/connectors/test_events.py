"""Outbound risk events: signed with Standard Webhooks, every one delivered, once processed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk_service.app import create_app
from tests.connectors.receiver import SECRET, Receiver, free_port, listening
from tests.service.helpers import AUTH, fake_loader, offer, settings_for

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow


def events_app(tmp_path: Path, urls: list[str], **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "event_urls": urls,
        "event_secret": SECRET,
        "event_backoff_seconds": 0.2,
        "event_backoff_max_seconds": 1.0,
        "event_poll_seconds": 0.1,
        "event_timeout_seconds": 2.0,
        "max_offers_per_request": 1000,
        "max_body_bytes": 1 << 20,
    }
    values.update(overrides)
    return create_app(settings_for(tmp_path, **values), loader=fake_loader())


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def score(client: TestClient, ids: range, competing: int = 1) -> None:
    offers = [offer(f"o-{i}", competing_offers=competing) for i in ids]
    answer = client.post("/v1/scores", json={"offers": offers}, headers=AUTH)
    assert answer.status_code == 200, answer.text


def test_every_offer_of_a_1000_offer_run_reaches_a_verifying_receiver(tmp_path: Path) -> None:
    receiver = Receiver()
    with (
        listening(receiver) as url,
        TestClient(events_app(tmp_path, [url])) as client,
    ):
        for start in range(0, 1000, 250):
            score(client, range(start, start + 250))
        arrived = wait_for(lambda: len(receiver.of_type("offer.scored")) == 1000, 60)
        counts = client.get("/v1/admin/events", headers=AUTH).json()["counts"]
    assert arrived, len(receiver.of_type("offer.scored"))
    assert receiver.refused == 0
    assert {e["data"]["offer_id"] for e in receiver.of_type("offer.scored")} == {
        f"o-{i}" for i in range(1000)
    }
    assert counts == {"delivered": 1000}
    first = receiver.of_type("offer.scored")[0]["data"]
    assert {"decline_probability", "risk_band", "reasons", "action", "what_ifs"} <= set(first)
    assert first["what_ifs"][0]["column"] == "comp_delta_pct"


def test_a_band_change_sends_offer_risk_changed(tmp_path: Path) -> None:
    receiver = Receiver()
    with listening(receiver) as url, TestClient(events_app(tmp_path, [url])) as client:
        score(client, range(3), competing=1)  # low
        score(client, range(1), competing=8)  # o-0 becomes high
        score(client, range(1, 2), competing=1)  # o-1 stays low
        assert wait_for(lambda: len(receiver.of_type("offer.scored")) == 5, 30)
        assert wait_for(lambda: len(receiver.of_type("offer.risk_changed")) == 1, 10)
    [changed] = receiver.of_type("offer.risk_changed")
    assert changed["data"]["offer_id"] == "o-0"
    assert (changed["data"]["previous_band"], changed["data"]["risk_band"]) == ("low", "high")


def test_lost_acknowledgements_are_retried_and_the_receiver_processes_each_once(
    tmp_path: Path,
) -> None:
    receiver = Receiver(lose_acks=20)
    with listening(receiver) as url, TestClient(events_app(tmp_path, [url])) as client:
        score(client, range(50))
        assert wait_for(lambda: sum(receiver.deliveries.values()) >= 70, 30)
        assert wait_for(
            lambda: (
                client.get("/v1/admin/events", headers=AUTH).json()["counts"] == {"delivered": 50}
            ),
            30,
        )
    assert len(receiver.processed) == 50
    assert sum(n - 1 for n in receiver.deliveries.values()) == 20  # retries, de-duplicated


def test_events_die_after_the_last_attempt_and_an_admin_resends_them(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/hooks"
    app = events_app(tmp_path, [down], event_max_attempts=2)
    with TestClient(app) as client:
        score(client, range(3))
        listed = lambda: client.get("/v1/admin/events?status=dead", headers=AUTH).json()  # noqa: E731
        assert wait_for(lambda: len(listed()["events"]) == 3, 30)
        dead = listed()["events"]
        assert all(e["attempts"] == 2 and e["last_error"].startswith("unreachable") for e in dead)
        resent = client.post("/v1/admin/events/resend", json={"ids": [dead[0]["id"]]}, headers=AUTH)
        assert resent.json() == {"resent": 1}
        assert wait_for(lambda: len(listed()["events"]) == 3, 30)  # still down: dead again
        assert client.post("/v1/admin/events/resend", headers=AUTH).json() == {"resent": 3}
