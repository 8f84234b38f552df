"""Erasure, export and retention on the store, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from declinerisk.events.outbox import Outbox, OutboxEvent, ScoreEvents
from declinerisk.store import privacy
from declinerisk.store.database import Store
from declinerisk.store.recorder import ScoreRecorder, drop_spooled, spooled_rows
from declinerisk.store.records import ErasedOffer, Outcome, OutcomeRecord, ScoreRecord
from declinerisk.store.retention import RetentionPolicy, purge
from tests.postgres import store_for

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
URLS = ("http://127.0.0.1:9/hook",)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = store_for(request.param, tmp_path, "privacy", on_scores=ScoreEvents(URLS))
    yield opened
    opened.engine.dispose()


def score(offer_id: str, scored_at: datetime = NOW, **inputs: Any) -> dict[str, Any]:
    return {
        "request_id": "r1",
        "offer_id": offer_id,
        "model_version": "m1",
        "inputs": {"competing_offers": 1, **inputs},
        "probability": 0.4,
        "band": "low",
        "reasons": [{"columns": ["competing_offers"], "sentence": "Has offers."}],
        "action": "Call.",
        "scored_at": scored_at,
    }


def outcome(offer_id: str, event: str = "e1", decided: datetime | None = None) -> Outcome:
    return Outcome(offer_id, event, "declined", "salary", decided_at=decided)


def held(store: Store, offer_id: str) -> tuple[int, int, int]:
    with store.session() as session:
        return tuple(  # type: ignore[return-value]
            len(session.execute(select(t.id).where(t.offer_id == offer_id)).all())
            for t in (ScoreRecord, OutcomeRecord, OutboxEvent)
        )


def test_erasure_removes_every_row_of_the_offer_and_only_its_rows(store: Store) -> None:
    store.add_scores([score("gone"), score("kept"), score("gone")])
    assert store.add_outcome(outcome("gone")) and store.add_outcome(outcome("kept"))
    assert held(store, "gone") == (2, 1, 2)
    done = privacy.erase(store, "gone")
    assert (done.scores, done.outcomes, done.events) == (2, 1, 2)
    assert held(store, "gone") == (0, 0, 0)
    assert held(store, "kept") == (1, 1, 1)
    with store.session() as session:
        [digest] = session.execute(select(ErasedOffer.digest)).scalars()
    assert "gone" not in digest and len(digest) == 64


def test_an_erased_offer_is_never_written_again(store: Store, tmp_path: Path) -> None:
    store.add_scores([score("gone")])
    privacy.erase(store, "gone")
    store.add_scores([score("gone"), score("new")])
    assert not store.add_outcome(outcome("gone", "e2"))
    assert held(store, "gone") == (0, 0, 0)
    assert held(store, "new") == (1, 0, 1)
    # A spool written before the erasure is replayed without the offer.
    spool = tmp_path / "spool.jsonl"
    spool.write_text(
        "".join(
            json.dumps({**score(o), "scored_at": {"__datetime__": NOW.isoformat()}}) + "\n"
            for o in ("gone", "late")
        )
    )
    recorder = ScoreRecorder(store, spool)
    recorder.flush()
    recorder.close()
    assert not spool.exists()
    assert held(store, "gone") == (0, 0, 0) and held(store, "late") == (1, 0, 1)
    assert privacy.erase(store, "gone").scores == 0  # erasing again is harmless


def test_dropping_an_offer_from_the_spool_keeps_the_other_lines(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    spool.write_text("".join(json.dumps({"offer_id": o}) + "\n" for o in ("a", "b", "a")))
    assert drop_spooled(spool, "a") == 2
    assert spooled_rows(spool) == [{"offer_id": "b"}]
    assert drop_spooled(spool, "b") == 1 and not spool.exists()
    assert drop_spooled(spool, "b") == 0


def test_the_export_holds_exactly_the_offers_rows(store: Store) -> None:
    store.add_scores([score("mine", days_in_process=12), score("other")])
    store.add_outcome(outcome("mine"))
    spooled = [{"offer_id": "mine", "scored_at": NOW, "inputs": {"x": 1}}]
    found = privacy.export(store, "mine", spooled)
    assert found is not None
    assert [s.inputs["days_in_process"] for s in found.scores] == [12]
    assert [o.decline_reason for o in found.outcomes] == ["salary"]
    assert [e.payload["data"]["offer_id"] for e in found.events] == ["mine"]
    assert found.spooled == [{"offer_id": "mine", "scored_at": NOW.isoformat(), "inputs": {"x": 1}}]
    assert "other" not in found.model_dump_json()
    assert privacy.export(store, "unknown", []) is None


def test_a_thirty_day_window_purges_older_records_and_keeps_newer_ones(store: Store) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    store.add_scores([score("old", old), score("recent", recent), score("both", old)])
    store.add_scores([score("both", recent)])
    for offer_id in ("old", "recent", "both"):
        store.add_outcome(outcome(offer_id))  # received now: inside the window
    with store.session() as session:  # the outbox rows were created now; age the old ones
        session.execute(
            OutboxEvent.__table__.update()
            .where(OutboxEvent.offer_id == "old")
            .values(created_at=old)
        )
    done = purge(store, RetentionPolicy(days=30), NOW)
    assert (done.scores, done.events) == (2, 1)
    assert [r.scored_at.day for r in store.scores("both")] == [recent.day]
    assert store.scores("old") == [] and len(store.scores("recent")) == 1
    assert held(store, "old") == (0, 1, 0)
    # Outcomes are stamped when received (the real clock): 31 days after that, they go too.
    later = purge(store, RetentionPolicy(days=30), datetime.now(UTC) + timedelta(days=31))
    assert later.outcomes == 3 and store.outcomes() == []
    assert {e.offer_id for e in Outbox(store).listed()} == set()


def test_keeping_training_rows_keeps_the_training_frame_and_drops_the_rest(store: Store) -> None:
    days = [NOW - timedelta(days=d) for d in (60, 50, 45, 40)]
    store.add_scores([score("labelled", days[0], competing_offers=1)])
    store.add_scores([score("labelled", days[1], competing_offers=2)])
    store.add_scores([score("labelled", days[3], competing_offers=3)])  # after the decision
    store.add_scores([score("open", days[0])])
    store.add_outcome(outcome("labelled", decided=days[2]))
    before = store.training_frame()
    done = purge(store, RetentionPolicy(days=30, keep_training=True), NOW)
    assert done.scores == 3  # two of "labelled" (not the training row) and "open"
    [kept] = store.scores("labelled")
    assert kept.inputs["competing_offers"] == 2 and kept.reasons == [] and kept.action == ""
    assert store.scores("open") == [] and len(store.outcomes()) == 1
    after = store.training_frame()
    assert after.to_dict("records") == before.to_dict("records")
