"""Typing and checking offers sent as JSON records (the service's requests) against the contract.

A file's values are text and :mod:`declinerisk.data.validation` parses them; a request's values
are already JSON numbers, booleans and strings, so here each value must have its column's JSON
type (``"5"`` is not a number, ``"yes"`` is not a boolean). From there the checks are the
contract's: the same ranges, whole numbers, missing ids and duplicate ids, refused with the same
messages (:mod:`declinerisk.data.refusals`), so a request and a file refuse the same offer the
same way. Every problem of every offer is listed at once; nothing is dropped or defaulted.

No pandas on this path: a one-offer request is typed in a few microseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from declinerisk.data import refusals, schema
from declinerisk.data.duplicates import SeenIds, repeats_within
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Column, Kind, Role
from declinerisk.errors import RowProblem

EXTRA = "extra"  # the record key holding the extra columns a model trained through a mapping takes
TEXT_LIMIT = 256
EXTRA_LIMIT = 50
FIELDS: dict[str, Column] = {
    c.name: c for c in schema.COLUMNS if c.role in (Role.IDENTITY, Role.CORE, Role.OPTIONAL)
}
REQUIRED = (schema.ID_COLUMN, *schema.CORE_SIGNALS)  # core signals are sent, null when unknown
REQUIRED_NOTE = "required (null when unknown)"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ValidatedRecords:
    """Each offer typed as the contract types it, with extras flattened, and every problem.

    Problems name rows from 1 in input order and columns as paths (``extra.office``; the empty
    path when the offer itself is not an object); their values are never filled in, since
    records come from requests and refusals must not echo candidate data.
    """

    records: list[dict[str, Any]]
    problems: list[RowProblem]


def validate_records(
    offers: Sequence[object], features: FeatureSet, seen: SeenIds | None = None
) -> ValidatedRecords:
    """Type and check ``offers`` for a model taking ``features``; ids repeated within them (or
    seen by ``seen`` before) are refused from the second on."""
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    extras = {c.name: c for c in features.columns if c.role is Role.EXTRA}
    for row, offer in enumerate(offers, start=1):
        record, reasons = _typed_offer(offer, extras)
        records.append(record)
        problems.extend(RowProblem(row, path, "", reason) for path, reason in reasons)
    if len(records) > 1 or seen is not None:  # one new offer cannot repeat an id
        ids = [record.get(schema.ID_COLUMN) for record in records]
        rows = range(1, len(records) + 1)
        repeats = seen.repeats(ids, rows) if seen is not None else repeats_within(ids, rows)
        problems.extend(RowProblem(p.row, p.column, "", p.reason) for p in repeats)
    problems.sort(key=lambda p: (p.row, p.column))
    return ValidatedRecords(records, problems)


def _typed_offer(
    offer: object, extras: Mapping[str, Column]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    if not isinstance(offer, dict):
        return {}, [("", "must be an object")]
    record: dict[str, Any] = dict.fromkeys(FIELDS)
    reasons: list[tuple[str, str]] = []
    for name, value in offer.items():
        check = CHECKS.get(name)
        if check is not None:
            record[name], reason = check(value)
        elif name == EXTRA:
            reason = ""
            reasons += _typed_extras(value, extras, record)
        else:
            reason = "not a field of the offer contract"
        if reason:
            reasons.append((name, reason))
    for name in REQUIRED:
        if name not in offer:
            missing = refusals.ID_MISSING if name == schema.ID_COLUMN else REQUIRED_NOTE
            reasons.append((name, missing))
    return record, reasons


def _typed_extras(
    given: object, extras: Mapping[str, Column], record: dict[str, Any]
) -> list[tuple[str, str]]:
    if given is None:
        return []
    if not isinstance(given, dict):
        return [(EXTRA, "must be an object of extra columns")]
    if len(given) > EXTRA_LIMIT:
        return [(EXTRA, f"at most {EXTRA_LIMIT} extra columns")]
    shadowed = sorted(set(given) & set(schema.COLUMNS_BY_NAME))
    if shadowed:
        return [(EXTRA, f"extra keys repeat contract fields: {shadowed}")]
    reasons = []
    for name, value in given.items():
        column = extras.get(name)
        if column is None:
            reasons.append((f"{EXTRA}.{name}", "not an input of the model being served"))
            continue
        record[name], reason = typed_value(column, value)
        if reason:
            reasons.append((f"{EXTRA}.{name}", reason))
    return reasons


def typed_value(column: Column, value: object) -> tuple[Any, str]:
    """``value`` as the contract types it for ``column`` and "", or None and why it is refused.

    JSON null is a missing value: allowed, scored as not recorded (but an offer needs its id).
    """
    if value is None:
        return None, refusals.ID_MISSING if column.kind is Kind.ID else ""
    if column.kind in (Kind.NUMBER, Kind.INTEGER):
        return _number(column, value)
    if column.kind is Kind.BOOLEAN:
        return (value, "") if isinstance(value, bool) else (None, refusals.NOT_YES_NO)
    if column.kind is Kind.ID:
        return _offer_id(value)
    if column.kind is Kind.DATE:
        return _date(value)
    if not isinstance(value, str):
        return None, refusals.NOT_TEXT
    if len(value) > TEXT_LIMIT:
        return None, f"at most {TEXT_LIMIT} characters"
    return value.strip() or None, ""


def _checker(column: Column) -> Callable[[object], tuple[Any, str]]:
    """:func:`typed_value` for one column, with a short way for the values requests send
    most (a plain in-range number, a yes/no, short text): every field of every offer of a
    request goes through here. Anything else, refusals included, takes the long way."""
    if column.kind is Kind.BOOLEAN:
        return lambda value: (value, "") if type(value) is bool else typed_value(column, value)
    if column.kind in (Kind.CATEGORY, Kind.ID):
        return lambda value: _short_text(value) or typed_value(column, value)
    if column.kind not in (Kind.NUMBER, Kind.INTEGER):
        return lambda value: typed_value(column, value)
    low, high = column.minimum, column.maximum
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        # None in the contract: without finite bounds the comparison below would let
        # infinity through.
        return lambda value: typed_value(column, value)
    # Bounded both ways: NaN and the infinities fail the comparison and take the long way,
    # which refuses them.
    if column.kind is Kind.INTEGER:
        return lambda value: (
            (value, "")
            if type(value) is int and low <= value <= high
            else typed_value(column, value)
        )

    def check(value: object) -> tuple[Any, str]:
        kind, number = type(value), cast(float, value)  # exact types: bool is an int, refused
        if (kind is float or kind is int) and low <= number <= high:
            return (number if kind is float else float(number)), ""
        return typed_value(column, value)

    return check


def _short_text(value: object) -> tuple[str, str] | None:
    """Text within the limit with something besides blanks, stripped; None otherwise."""
    if type(value) is str and len(value) <= TEXT_LIMIT:
        text = value.strip()
        if text:
            return text, ""
    return None


def _number(column: Column, value: object) -> tuple[Any, str]:
    # The order gives the file parser's precedence: a fractional value out of range is
    # refused as fractional, as the errors file says.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, refusals.NOT_A_NUMBER
    if isinstance(value, float) and not math.isfinite(value):
        return None, refusals.NOT_FINITE
    if column.kind is Kind.INTEGER and isinstance(value, float) and not value.is_integer():
        return None, refusals.NOT_WHOLE
    too_low = column.minimum is not None and value < column.minimum
    too_high = column.maximum is not None and value > column.maximum
    if too_low or too_high:
        return None, refusals.out_of_range(column)
    # In range, so the conversion cannot overflow (JSON integers may have hundreds of digits).
    return (int(value) if column.kind is Kind.INTEGER else float(value)), ""


def _offer_id(value: object) -> tuple[Any, str]:
    """Text, or an integer (ATS ids often are) kept as its decimal text; stripped, as a file's."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None, "must be text or an integer"
    if len(value) > TEXT_LIMIT:
        return None, f"at most {TEXT_LIMIT} characters"
    return (value.strip(), "") if value.strip() else (None, refusals.ID_MISSING)


def _date(value: object) -> tuple[Any, str]:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat(), ""
        except ValueError:
            pass
    return None, refusals.not_a_date()


# Each contract field's check, by name (after the functions it is built from).
CHECKS = {name: _checker(column) for name, column in FIELDS.items()}
