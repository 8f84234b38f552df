"""Invalid input is reported with file, row, column, value and reason; nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.sources import read_table
from declinerisk.data.validation import validate_offers
from declinerisk.errors import InvalidRowsError, MissingColumnError
from tests.factories import make_offers


def _validated(tmp_path: Path, frame: pd.DataFrame, purpose: str = "train"):  # type: ignore[no-untyped-def]
    path = tmp_path / "offers.csv"
    frame.to_csv(path, index=False)
    return validate_offers(read_table(path), ColumnMapping(), source=str(path), purpose=purpose)  # type: ignore[arg-type]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object)


def test_missing_core_column_names_the_column_and_the_file(tmp_path: Path) -> None:
    frame = make_offers().drop(columns=["comp_delta_pct"])
    with pytest.raises(MissingColumnError) as caught:
        _validated(tmp_path, frame)
    message = str(caught.value)
    assert "'comp_delta_pct'" in message
    assert str(tmp_path / "offers.csv") in message


def test_missing_outcome_is_required_for_training_but_not_for_scoring(tmp_path: Path) -> None:
    frame = make_offers().drop(columns=["outcome"])
    with pytest.raises(MissingColumnError, match="'outcome'"):
        _validated(tmp_path, frame)
    assert _validated(tmp_path, frame, purpose="score").problems == []


def test_three_invalid_rows_are_reported_by_exactly_their_row_numbers(tmp_path: Path) -> None:
    frame = _as_text(make_offers(rows=100))
    # DataFrame positions 9, 41, 77 are data rows 10, 42, 78 (the header is not a row).
    frame.loc[9, "days_in_process"] = -3
    frame.loc[41, "comp_delta_pct"] = "about ten"
    frame.loc[77, "outcome"] = "ghosted"
    validated = _validated(tmp_path, frame)
    assert validated.invalid_rows == [10, 42, 78]
    with pytest.raises(InvalidRowsError) as caught:
        validated.raise_if_invalid()
    assert "3 invalid rows" in str(caught.value)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("days_in_process", -1, "must be between 0 and 730"),
        ("contacts_per_week", "often", "not a number"),
        ("comp_delta_pct", "inf", "not a finite number"),
        ("competing_offers", 1.5, "must be a whole number"),
        ("interview_experience", 9, "must be between 1 and 5"),
        ("counteroffer_expected", "maybe", "not a yes/no value"),
        ("outcome", "pending", "unknown outcome label"),
        ("offer_date", "31/02/2025", "not a date"),
    ],
)
def test_each_kind_of_invalid_value_is_reported(
    tmp_path: Path, column: str, value: object, reason: str
) -> None:
    frame = _as_text(make_offers(rows=50))
    frame.loc[4, column] = value
    problems = _validated(tmp_path, frame).problems
    assert [(p.row, p.column) for p in problems] == [(5, column)]
    assert reason in problems[0].reason
    assert problems[0].value == str(value)


def test_duplicate_offer_id_names_the_first_row(tmp_path: Path) -> None:
    frame = make_offers(rows=30)
    frame.loc[20, "offer_id"] = frame.loc[3, "offer_id"]
    problems = _validated(tmp_path, frame).problems
    assert [(p.row, p.column) for p in problems] == [(21, "offer_id")]
    assert "first seen at row 4" in problems[0].reason


def test_valid_rows_keep_every_row_that_has_no_problem(tmp_path: Path) -> None:
    frame = _as_text(make_offers(rows=60))
    frame.loc[[0, 30], "days_in_process"] = -5
    validated = _validated(tmp_path, frame)
    assert len(validated.frame) == 60
    assert len(validated.valid()) == 58
    assert 1 not in validated.valid().index and 31 not in validated.valid().index


def test_blank_optional_values_are_missing_not_invalid(tmp_path: Path) -> None:
    frame = make_offers(rows=40)
    frame["interview_experience"] = None
    validated = _validated(tmp_path, frame)
    assert validated.problems == []
    assert any("interview_experience" in note for note in validated.notes)
    assert "interview_experience" not in validated.features.names


def test_protected_attributes_and_labels_are_never_features(tmp_path: Path) -> None:
    validated = _validated(tmp_path, make_offers(rows=40))
    for name in (
        "gender",
        "age_band",
        "outcome",
        "decline_reason",
        "true_decline_probability",
        "offer_id",
        "offer_date",
    ):
        assert name not in validated.features.names


def test_the_report_names_file_row_line_column_value_and_reason(tmp_path: Path) -> None:
    frame = _as_text(make_offers(rows=20))
    frame.loc[2, "competing_offers"] = "lots"
    validated = _validated(tmp_path, frame)
    with pytest.raises(InvalidRowsError) as caught:
        validated.raise_if_invalid()
    assert (
        f"{tmp_path / 'offers.csv'}: row 3 (line 4), column 'competing_offers', value 'lots': "
        "not a number"
    ) in str(caught.value)
