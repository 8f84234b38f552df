"""The outbox on SQLite and, when configured, PostgreSQL: events in the score transaction,
claims with leases, dead letters, re-sending, and the events CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from declinerisk.cli.events import main as events_main
from declinerisk.events.outbox import DEAD, PENDING, RISK_CHANGED, SCORED, Outbox, ScoreEvents
from declinerisk.store.database import Store, open_store
from tests.postgres import store_for

URLS = ("http://127.0.0.1:9/a", "http://127.0.0.1:9/b")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = store_for(request.param, tmp_path, "outbox", on_scores=ScoreEvents(URLS))
    yield opened
    opened.engine.dispose()


def row(offer_id: str, band: str) -> dict[str, object]:
    return {
        "request_id": "r1",
        "offer_id": offer_id,
        "model_version": "m1",
        "inputs": {"competing_offers": 1},
        "probability": 0.4,
        "band": band,
        "reasons": [],
        "action": "Call.",
        "scored_at": datetime(2026, 5, 4, tzinfo=UTC),
        "what_ifs": [{"column": "comp_delta_pct", "action": "Raise", "probability": 0.2}],
        "warnings": [],
    }


def test_scores_and_their_events_are_written_together(store: Store) -> None:
    store.add_scores([row("a", "low"), row("b", "low")])
    store.add_scores([row("a", "high"), row("b", "low")])
    events = Outbox(store).listed(limit=100)
    kinds = sorted((e.offer_id, e.event_type) for e in events)
    assert kinds == sorted(
        [(o, SCORED) for o in "abab" for _ in URLS] + [("a", RISK_CHANGED)] * len(URLS)
    )
    assert store.count_scores() == 4
    assert {e.url for e in events} == set(URLS)


def test_a_failing_score_write_writes_no_events(store: Store) -> None:
    broken = row("a", "low")
    broken["probability"] = None  # NOT NULL: the whole transaction fails
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError
        store.add_scores([broken])
    assert Outbox(store).counts() == {}


def test_claims_lease_rows_and_failures_end_in_dead_letters(store: Store) -> None:
    store.add_scores([row("a", "low")])
    outbox = Outbox(store)
    claimed = outbox.claim(10, timedelta(seconds=60))
    assert len(claimed) == 2
    assert outbox.claim(10, timedelta(seconds=60)) == []  # leased
    now = datetime.now(UTC)
    assert outbox.failed(claimed[0], "HTTP 500", now, max_attempts=2) == PENDING
    [again] = outbox.claim(10, timedelta(seconds=60))
    assert again.attempts == 1
    assert outbox.failed(again, "HTTP 500", now, max_attempts=2) == DEAD
    assert outbox.counts() == {PENDING: 1, DEAD: 1}
    assert outbox.resend() == 1
    assert outbox.counts() == {PENDING: 2}


def test_the_events_cli_lists_and_resends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    store = open_store(url, on_scores=ScoreEvents(URLS[:1]))
    store.add_scores([row("a", "low")])
    outbox = Outbox(store)
    [event] = outbox.claim(1, timedelta(0))
    outbox.failed(event, "HTTP 500", datetime.now(UTC), max_attempts=1)
    store.engine.dispose()
    assert events_main(["--database-url", url, "list", "--status", "dead"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("dead: 1") and "HTTP 500" in listed
    assert events_main(["--database-url", url, "resend"]) == 0
    assert "re-sent 1 events" in capsys.readouterr().out
