"""The store on SQLite and, when configured, PostgreSQL: scores, idempotent outcomes, labels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.store.database import Store
from declinerisk.store.records import Outcome
from declinerisk.store.request_ids import new_request_id
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import run
from tests.factories import FAST_GLASSBOX
from tests.postgres import store_for


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = store_for(request.param, tmp_path, "store")
    yield opened
    opened.engine.dispose()


def _score_row(
    offer_id: str, inputs: dict[str, object], request_id: str = "r1"
) -> dict[str, object]:
    return {
        "request_id": request_id,
        "offer_id": offer_id,
        "model_version": "m1",
        "inputs": inputs,
        "probability": 0.4,
        "band": "medium",
        "reasons": [{"column": "days_in_process", "sentence": "Slow."}],
        "action": "Call.",
        "scored_at": datetime(2026, 5, 4, 12, 0, tzinfo=UTC),
    }


def test_scores_are_stored_verbatim(store: Store) -> None:
    sql_looking = "sales'; DROP TABLE score_records; --"
    store.add_scores([_score_row("o-1", {"department": sql_looking, "days_in_process": 12})])
    (record,) = store.scores("o-1")
    assert record.inputs["department"] == sql_looking
    assert record.reasons[0]["column"] == "days_in_process"
    assert store.count_scores(["r1"]) == 1


def test_outcomes_are_idempotent(store: Store) -> None:
    outcome = Outcome("o-1", "e-1", "declined", "compensation")
    assert store.add_outcome(outcome) is True
    assert store.add_outcome(outcome) is False
    assert store.add_outcome(Outcome("o-1", "e-2", "accepted")) is True
    assert [(o.event_id, o.outcome) for o in store.outcomes()] == [
        ("e-1", "declined"),
        ("e-2", "accepted"),
    ]


@pytest.mark.slow
def test_the_store_is_a_label_source_for_training(store: Store, tmp_path: Path) -> None:
    offers = demo_offers(3_000, seed=17)
    inputs = offers.drop(
        columns=[
            "offer_id",
            "offer_date",
            "outcome",
            "decline_reason",
            "true_decline_probability",
            "gender",
            "age_band",
        ]
    )
    rows = []
    for i, (offer_id, values) in enumerate(
        zip(offers["offer_id"], inputs.to_dict("records"), strict=True)
    ):
        clean = {k: (None if v is None or v != v else v) for k, v in values.items()}
        row = _score_row(offer_id, clean, request_id=f"r{i}")
        row["scored_at"] = offers["offer_date"].iloc[i].to_pydatetime().replace(tzinfo=UTC)
        rows.append(row)
    store.add_scores(rows)
    for offer_id, outcome in zip(offers["offer_id"], offers["outcome"], strict=True):
        store.add_outcome(Outcome(offer_id, f"evt-{offer_id}", outcome))
    frame = store.training_frame()
    assert len(frame) == 3_000
    assert set(frame["outcome"]) == {"accepted", "declined"}
    url = store.engine.url.render_as_string(hide_password=False)
    config = TrainConfig.model_validate(
        {
            "models_dir": tmp_path / "models",
            "tracking": {"enabled": False},
            "glassbox": FAST_GLASSBOX,
        }
    )
    result = run(config, url, ColumnMapping())
    assert result.manifest.data.rows_read == 3_000
    assert "time-ordered" in result.manifest.data.split
    assert "password" not in result.manifest.data.source


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 5, day, hour, 0, tzinfo=UTC)


def test_the_training_frame_holds_the_inputs_scored_before_the_decision(store: Store) -> None:
    early = _score_row("o-1", {"days_in_process": 10, "days_since_last_contact": 2})
    early["scored_at"] = _at(1)
    late = _score_row("o-1", {"days_in_process": 25, "days_since_last_contact": 9}, "r2")
    late["scored_at"] = _at(8)
    # Re-scored after the decision, with inputs an export filled in at the end of the process.
    after = _score_row("o-1", {"days_in_process": 40, "days_since_last_contact": 0}, "r3")
    after["scored_at"] = _at(20)
    store.add_scores([early, after, late])  # written out of order on purpose
    store.add_outcome(Outcome("o-1", "e-1", "declined", decided_at=_at(10)))
    (row,) = store.training_frame().to_dict("records")
    assert (row["days_in_process"], row["days_since_last_contact"]) == (25, 9)
    assert row["offer_date"] == "2026-05-01"  # no date sent: the first score's day
    assert row["outcome"] == "declined"


def test_without_decided_at_the_outcome_arrival_is_the_cut_off(store: Store) -> None:
    before = _score_row("o-2", {"days_in_process": 12})
    before["scored_at"] = datetime(2020, 1, 1, tzinfo=UTC)
    future = _score_row("o-2", {"days_in_process": 99}, "r2")
    future["scored_at"] = datetime(2100, 1, 1, tzinfo=UTC)  # after the outcome arrives
    store.add_scores([before, future])
    store.add_outcome(Outcome("o-2", "e-1", "accepted"))
    (row,) = store.training_frame().to_dict("records")
    assert row["days_in_process"] == 12


def test_an_offer_scored_only_after_its_decision_is_left_out(store: Store) -> None:
    after = _score_row("o-3", {"days_in_process": 40})
    after["scored_at"] = _at(20)
    kept = _score_row("o-4", {"days_in_process": 5, "offer_date": "2026-04-28"}, "r2")
    kept["scored_at"] = _at(2)
    store.add_scores([after, kept])
    store.add_outcome(Outcome("o-3", "e-1", "declined", decided_at=_at(10)))
    store.add_outcome(Outcome("o-4", "e-1", "accepted", decided_at=_at(10)))
    frame = store.training_frame()
    assert frame["offer_id"].tolist() == ["o-4"]
    assert frame["offer_date"].tolist() == ["2026-04-28"]  # the date sent with the score


def test_request_ids_are_unique_hex_and_sort_by_creation_time() -> None:
    first = [new_request_id() for _ in range(5_000)]
    time.sleep(0.002)
    later = new_request_id()
    assert len(set(first)) == len(first)
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in first)
    assert max(first) < later  # the index on them grows at one end


def test_rows_spooled_before_a_column_existed_go_in_with_new_ones(store: Store) -> None:
    """A spool replayed after an upgrade mixes rows without ``what_ifs`` and rows with them,
    in either order: one batch, each stored as it came (absent: SQL NULL, read back as None)
    and in the order given (an offer's latest score is its highest id)."""
    old = _score_row("o-old", {"days_in_process": 3})
    new = _score_row("o-new", {})
    new["what_ifs"] = [{"column": "comp_delta_pct", "action": "Raise", "probability": 0.2}]
    batch = [old, new, dict(old, offer_id="o-old-2"), dict(new, offer_id="o-new-2")]
    store.add_scores(batch)
    store.add_scores(batch[::-1])
    stored = {o: store.scores(o) for o in ("o-old", "o-old-2", "o-new", "o-new-2")}
    assert [r.what_ifs for o in ("o-old", "o-old-2") for r in stored[o]] == [None] * 4
    assert [r.what_ifs for o in ("o-new", "o-new-2") for r in stored[o]] == [new["what_ifs"]] * 4
    order = sorted((r.id, r.offer_id) for records in stored.values() for r in records)
    given = [row["offer_id"] for row in batch + batch[::-1]]
    assert [offer_id for _, offer_id in order] == given
