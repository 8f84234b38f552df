"""The record path (a request's offers, built row by row) reads offers exactly as the column
path (a file's, built column by column with NumPy) does: the same arrays, bit for bit, for the
same values, including missing numbers, blank and unseen categories, booleans and integers."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from declinerisk.artifacts.folder import load_model
from declinerisk.data.features import FeatureSet
from declinerisk.data.records import validate_records
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.kernel import KernelResult
from declinerisk.scoring.scorer import Scorer
from declinerisk.train.run import TrainResult

ARRAYS = ("raw", "probability", "band", "first", "second", "effect", "lead", "what_if", "unseen")


@pytest.fixture(scope="module")
def scorer(trained: TrainResult) -> Scorer:
    return Scorer(load_model(trained.folder))


@pytest.fixture(scope="module")
def records(scorer: Scorer) -> list[dict[str, Any]]:
    """3,000 open demo offers as a request sends them, with every kind of awkward value."""
    frame = demo_offers(3_000, seed=41, open_=True)
    offers: list[dict[str, Any]] = json.loads(
        frame[["offer_id", *scorer.features.names]].to_json(orient="records")
    )
    for i, offer in enumerate(offers):
        if i % 7 == 0:
            offer["department"] = "astronautics"  # never seen in training
        if i % 11 == 0:
            offer["source"] = None
        if i % 13 == 0:
            offer["days_since_last_contact"] = None
        if i % 17 == 0:
            offer["interview_experience"] = None
        if i % 5 == 0:
            offer["days_in_process"] = int(offer["days_in_process"] or 0)  # an integer
        if i % 19 == 0:
            offer["contacts_per_week"] = None  # a core signal: warned of when missing
    validated = validate_records(offers, scorer.features)
    assert not validated.problems
    return validated.records


def columns_of(records: list[dict[str, Any]], features: FeatureSet) -> dict[str, np.ndarray]:
    """The column path's arrays for the same records: floats with NaN, text with None."""
    columns: dict[str, np.ndarray] = {}
    for column in features.columns:
        values = [record.get(column.name) for record in records]
        if column.is_numeric:
            columns[column.name] = np.asarray(
                [math.nan if v is None else float(v) for v in values], dtype=np.float64
            )
        else:
            text = [None if v is None else str(v).strip() or None for v in values]
            columns[column.name] = np.asarray(text, dtype=object)
    return columns


def assert_same(a: KernelResult, b: KernelResult) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_records_score_exactly_as_the_same_columns(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    by_rows = scorer.kernel.score_records(records)
    by_columns = scorer.kernel.score(columns_of(records, scorer.features), len(records))
    assert_same(by_rows, by_columns)
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
