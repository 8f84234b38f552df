"""The record path (a request's offers, built row by row) reads offers exactly as the column
path (a file's, built column by column with NumPy) does: the same arrays, bit for bit, for the
same offers sent as JSON and written to a CSV file, including missing numbers, blank and
unseen categories, yes/no values and integers."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.records import validate_records
from declinerisk.data.sources import read_table
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.kernel import KernelResult
from declinerisk.scoring.scorer import Scorer, columns_of_frame
from declinerisk.train.run import TrainResult

ARRAYS = (
    *("raw", "probability", "band", "band_code", "first", "second", "effect", "lead"),
    *("what_if", "unseen"),
)


@pytest.fixture(scope="module")
def scorer(trained: TrainResult) -> Scorer:
    return Scorer(load_model(trained.folder))


@pytest.fixture(scope="module")
def offers(scorer: Scorer) -> list[dict[str, Any]]:
    """3,000 open demo offers as a request sends them, with every kind of awkward value."""
    frame = demo_offers(3_000, seed=41, open_=True)
    found: list[dict[str, Any]] = json.loads(
        frame[["offer_id", *scorer.features.names]].to_json(orient="records")
    )
    for i, offer in enumerate(found):
        if i % 7 == 0:
            offer["department"] = "astronautics"  # never seen in training
        if i % 11 == 0:
            offer["source"] = None
        if i % 23 == 0:
            offer["role_level"] = "   "  # blank: missing
        if i % 13 == 0:
            offer["days_since_last_contact"] = None
        if i % 17 == 0:
            offer["interview_experience"] = None
        if i % 29 == 0:
            offer["counteroffer_expected"] = None
        if i % 5 == 0:
            offer["days_in_process"] = int(offer["days_in_process"] or 0)  # an integer
        if i % 19 == 0:
            offer["contacts_per_week"] = None  # a core signal: warned of when missing
    assert {o["requires_relocation"] for o in found} >= {True, False}  # yes/no values
    return found


@pytest.fixture(scope="module")
def records(scorer: Scorer, offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    validated = validate_records(offers, scorer.features)
    assert not validated.problems
    return validated.records


@pytest.fixture(scope="module")
def from_file(scorer: Scorer, offers: list[dict[str, Any]], tmp_path_factory: Any) -> Any:
    """The same offers written to a CSV file, read and validated as ``declinerisk score``
    does, scored by the column path."""
    path = tmp_path_factory.mktemp("offers") / "offers.csv"
    pd.DataFrame(offers).to_csv(path, index=False)
    validated = scorer.validate(read_table(path), ColumnMapping(), str(path))
    assert not validated.problems
    frame = validated.frame
    return scorer.kernel.score(columns_of_frame(frame, scorer.features), len(frame))


def assert_same(a: KernelResult, b: KernelResult) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_records_score_exactly_as_the_same_offers_in_a_file(
    scorer: Scorer, records: list[dict[str, Any]], from_file: KernelResult
) -> None:
    by_rows = scorer.kernel.score_records(records)
    assert_same(by_rows, from_file)
    assert by_rows.unseen.any() and (by_rows.first[0] >= 0).any()  # the planted cases occur


def test_one_record_alone_scores_as_in_a_batch(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    batch = scorer.kernel.score_records(records)
    for i in range(0, len(records), 101):
        one = scorer.kernel.score_records(records[i : i + 1])
        for name in ARRAYS:
            np.testing.assert_array_equal(
                getattr(one, name)[..., 0], getattr(batch, name)[..., i], err_msg=name
            )


def test_offers_say_the_kernels_numbers_and_warn_of_unseen_and_missing_values(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    result = scorer.kernel.score_records(records)
    offers = scorer.score_records(records)
    for i, (record, offer) in enumerate(zip(records, offers, strict=True)):
        assert offer.decline_probability == result.probability[i]
        assert [r.effect for r in offer.reasons] == [e for e in result.effect[:, i] if e == e]
        unseen = "department: value not seen in training, scored as an unknown category"
        assert (unseen in offer.warnings) == (record["department"] == "astronautics")
        missing = "contacts_per_week: not given, scored as not recorded"
        assert (missing in offer.warnings) == (record["contacts_per_week"] is None)
        assert not any(w.startswith("days_since_last_contact") for w in offer.warnings)
