"""Offers sent as JSON records: typed and refused by the contract, in the file scorer's words."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from declinerisk.data.duplicates import SeenIds, repeats_within
from declinerisk.data.records import CHECKS, FIELDS, _checker, typed_value, validate_records
from declinerisk.data.schema import Column, Kind, Role
from tests.service.helpers import CONTRACT_FEATURES, offer


def test_one_ledger_names_the_first_row_of_an_id_across_calls() -> None:
    seen = SeenIds()
    first = seen.repeats(["a", "b", None, "a", float("nan"), "c"], [1, 2, 3, 4, 5, 6])
    later = seen.repeats(["c", "d", "b", "d"], [7, 8, 9, 10])
    assert [(p.row, p.reason) for p in first] == [(4, "duplicate offer_id (first seen at row 1)")]
    assert [(p.row, p.reason) for p in later] == [
        (7, "duplicate offer_id (first seen at row 6)"),
        (9, "duplicate offer_id (first seen at row 2)"),
        (10, "duplicate offer_id (first seen at row 8)"),
    ]


def test_a_requests_repeats_are_the_ledgers() -> None:
    rng = random.Random(5)
    for _ in range(200):
        ids = [rng.choice([None, "a", "b", " c", "7", 7, "d"]) for _ in range(rng.randint(0, 12))]
        rows = list(range(1, len(ids) + 1))
        text = [None if i is None else str(i) for i in ids]
        assert repeats_within(text, rows) == SeenIds().repeats(text, rows)


# Values a request may hold for any field: every kind of JSON value, edges and refusals.
ODD_VALUES: list[Any] = [
    *(None, True, False, 0, 1, -1, 2, 20, 21, 10**400, -(10**400), 0.0, -0.0, 2.0, 2.5),
    *(-8.5, 1e308, float("inf"), float("-inf"), float("nan"), "", "  ", "5", " sales "),
    *("x" * 256, " " + "x" * 256, "x" * 257, "2026-07-01", [1], {"a": 1}),
]


def _edges(name: str) -> list[Any]:
    """A numeric field's bounds and their neighbours, as integers and as floats."""
    low, high = FIELDS[name].minimum, FIELDS[name].maximum
    bounds = [b for b in (low, high) if b is not None]
    near = [b + d for b in bounds for d in (-1, -0.5, -1e-9, 0, 1e-9, 0.5, 1)]
    return [*near, *(float(v) for v in near), *(int(v) for v in near if v == int(v))]


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_each_fields_short_check_types_values_as_the_contract_does(name: str) -> None:
    for value in [*ODD_VALUES, *_edges(name)]:
        fast, slow = CHECKS[name](value), typed_value(FIELDS[name], value)
        assert fast == slow and [type(v) for v in fast] == [type(v) for v in slow], value
        if isinstance(fast[0], float):  # -0.0 == 0.0: the sign must match too
            assert math.copysign(1, fast[0]) == math.copysign(1, slow[0]), value


def _outcome(check: Any, value: Any) -> Any:
    try:
        typed, reason = check(value)
    except OverflowError:  # both ways alike: an unbounded number beyond a float
        return "overflow"
    return typed, reason, type(typed), math.copysign(1, typed) if type(typed) is float else 0


@pytest.mark.parametrize("kind", [Kind.NUMBER, Kind.INTEGER])
@pytest.mark.parametrize(
    "bounds", [(None, None), (0, None), (None, 5), (-math.inf, math.inf), (0, math.inf)]
)
def test_the_short_check_of_a_number_without_finite_bounds_is_the_contracts(
    kind: Kind, bounds: tuple[float | None, float | None]
) -> None:
    """No contract number lacks a bound today; a column that did must still refuse infinity."""
    column = Column("x", kind, Role.OPTIONAL, "", minimum=bounds[0], maximum=bounds[1])
    check = _checker(column)
    for value in [*ODD_VALUES, -5, 5, 6, 4.5, 1e300, -1e300]:
        assert _outcome(check, value) == _outcome(lambda v: typed_value(column, v), value), value


def test_valid_records_are_typed_as_a_files_rows_are() -> None:
    given = offer(" 12 ", competing_offers=2.0, department="  sales ", source="   ")
    (record,) = validate_records([given], CONTRACT_FEATURES).records
    assert record["offer_id"] == "12"
    assert record["competing_offers"] == 2 and isinstance(record["competing_offers"], int)
    assert record["department"] == "sales" and record["source"] is None
    assert record["counteroffer_expected"] is None  # not sent: missing, as an empty cell


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"days_in_process": "5"}, "days_in_process", "not a number"),
        ({"days_in_process": True}, "days_in_process", "not a number"),
        ({"comp_delta_pct": float("inf")}, "comp_delta_pct", "not a finite number"),
        ({"competing_offers": 30.5}, "competing_offers", "must be a whole number"),
        ({"competing_offers": 10**400}, "competing_offers", "must be between 0 and 20"),
        ({"requires_relocation": "yes"}, "requires_relocation", "not a yes/no value"),
        ({"department": 3}, "department", "must be text"),
        ({"offer_id": "  "}, "offer_id", "offer_id is missing"),
        ({"offer_date": "01/07/2026"}, "offer_date", "not a date (expected YYYY-MM-DD)"),
        ({"days_in_proces": 3}, "days_in_proces", "not a field of the offer contract"),
        ({"extra": {"office": "x"}}, "extra.office", "not an input of the model being served"),
    ],
)
def test_each_refusal_names_its_column_and_the_contracts_reason(
    change: dict[str, Any], column: str, reason: str
) -> None:
    problems = validate_records([offer(**change)], CONTRACT_FEATURES).problems
    assert [(p.row, p.column, p.reason, p.value) for p in problems] == [(1, column, reason, "")]


def test_an_absent_core_signal_and_a_non_object_are_refused_with_the_rest() -> None:
    body = offer("b")
    del body["days_in_process"]
    problems = validate_records([offer("a"), body, "not an offer"], CONTRACT_FEATURES).problems
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (2, "days_in_process", "required (null when unknown)"),
        (3, "", "must be an object"),
    ]
