"""Typing and checking offer rows against the contract, reporting every refused value.

Nothing is dropped here: :func:`validate_offers` returns every row, typed, together with
the list of problems. The caller decides whether problems stop the run or whether the
rows named in them are dropped (and says how many).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from declinerisk.data import refusals, schema
from declinerisk.data.duplicates import SeenIds
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.schema import Column, Kind
from declinerisk.errors import (
    SCORING_HINT,
    TRAINING_HINT,
    InvalidRowsError,
    MissingColumnError,
    RowProblem,
    SchemaError,
)

Purpose = Literal["train", "score"]

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t", "1.0"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", "0.0"})


@dataclass
class ValidatedOffers:
    """Typed offers (index = row number) and the problems found in them."""

    frame: pd.DataFrame
    features: FeatureSet
    problems: list[RowProblem]
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    def valid(self) -> pd.DataFrame:
        """The rows with no problem."""
        return self.frame.drop(index=self.invalid_rows)

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise InvalidRowsError(self.problems, self.source, len(self.invalid_rows))


def feature_set(
    columns: Sequence[str], mapping: ColumnMapping, present: pd.DataFrame | None = None
) -> tuple[FeatureSet, list[str]]:
    """The model inputs found among ``columns``, and notes on the signals left out."""
    notes = [
        f"core signal {n!r} declared absent by the mapping: training without it"
        for n in mapping.signals.absent
    ]
    chosen: list[Column] = []
    for name in (*schema.CORE_SIGNALS, *schema.OPTIONAL_SIGNALS):
        if name not in columns or name in mapping.signals.absent:
            continue
        if present is not None and present[name].isna().all():
            notes.append(f"signal {name!r} has no values: training without it")
            continue
        chosen.append(schema.column(name))
    chosen.extend(mapping.extra_columns())
    return FeatureSet(tuple(chosen)), notes


def required_columns(mapping: ColumnMapping, purpose: Purpose) -> list[str]:
    core = [n for n in schema.CORE_SIGNALS if n not in mapping.signals.absent]
    label = [schema.LABEL_COLUMN] if purpose == "train" else []
    extras = [c.name for c in mapping.extra_columns()]
    return [schema.ID_COLUMN, *core, *label, *extras]


def validate_offers(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    source: str,
    purpose: Purpose,
    features: FeatureSet | None = None,
    seen: SeenIds | None = None,
    duplicates: bool = True,
) -> ValidatedOffers:
    """Type and check ``raw`` (an export as read, rows numbered from 1).

    For scoring, pass the model's ``features``: its core and extra columns are then required,
    and optional signals the input lacks are scored as missing. A file read in chunks passes
    one ``seen`` for all of them, so an id repeated from an earlier chunk is refused too.
    Without ``duplicates``, a repeated offer id is left to the caller (a Spark batch sees only
    part of the file; the Spark job finds repeats over the whole file).
    """
    notes: list[str] = []
    if features is None:
        required = required_columns(mapping, purpose)
        renamed = mapping.apply(raw, source)
    else:
        required = [
            schema.ID_COLUMN,
            *(c.name for c in features.columns if c.role is not schema.Role.OPTIONAL),
        ]
        renamed = mapping.apply(raw, source, required=required)
        absent = [n for n in features.names if n not in renamed.columns and n not in required]
        if absent:
            renamed = renamed.assign(**dict.fromkeys(absent, np.nan))
            notes.append(f"optional signals not in the input, scored as missing: {absent}")
    missing = [c for c in required if c not in renamed.columns]
    if missing and features is not None:
        _refuse_absent_inputs(missing, mapping, source)
    if missing:
        hint = TRAINING_HINT if features is None else SCORING_HINT
        raise MissingColumnError(missing, source, list(map(str, raw.columns)), hint)

    known = {c.name: c for c in schema.COLUMNS} | {c.name: c for c in mapping.extra_columns()}
    if features is not None:
        known |= {c.name: c for c in features.columns}
    typed: dict[str, pd.Series] = {}
    problems: list[RowProblem] = []
    for name in renamed.columns:
        if name not in known:
            continue
        values, bad = _parse(known[name], renamed[name], mapping, purpose)
        typed[name] = values
        problems.extend(_problems(renamed[name], bad, name))
    frame = pd.DataFrame(typed, index=renamed.index)
    if duplicates:
        ids = frame[schema.ID_COLUMN]
        problems.extend((seen or SeenIds()).repeats(ids.to_numpy(), ids.index.to_numpy()))
    problems.sort(key=lambda p: (p.row, p.column))
    if features is None:
        features, notes = feature_set(list(frame.columns), mapping, frame)
    return ValidatedOffers(frame, features, problems, source, notes)


def _refuse_absent_inputs(missing: Sequence[str], mapping: ColumnMapping, source: str) -> None:
    """A model needs every core signal it was trained with: a mapping that declares a missing
    one absent describes data this model cannot score (say which, and what would)."""
    absent = [n for n in missing if n in mapping.signals.absent]
    if absent:
        names = ", ".join(repr(n) for n in absent)
        raise SchemaError(
            f"{source}: the model was trained with {names}, which the mapping declares absent "
            "([signals] absent). Score with a model trained through the same mapping, or give "
            "the column and remove it from the mapping's absent list."
        )


def _parse(
    col: Column, values: pd.Series, mapping: ColumnMapping, purpose: Purpose
) -> tuple[pd.Series, _Reasons]:
    """The typed values of one column and, per row, the reason it is invalid ("" if valid)."""
    if col.kind in (Kind.NUMBER, Kind.INTEGER):
        return _parse_number(col, values)
    if col.kind is Kind.BOOLEAN:
        return _parse_boolean(values)
    if col.kind is Kind.DATE:
        return _parse_date(values, mapping.format.date, purpose)
    if col.kind is Kind.LABEL:
        return _parse_label(values, purpose)
    text = _text(values)
    reasons = _reasons(values.index)
    if col.kind is Kind.ID:
        reasons[text.isna().to_numpy()] = refusals.ID_MISSING
    return text, reasons


class _Reasons:
    """Why each row of one column is invalid: a small code per row, "" when valid.

    ``reasons[mask] = "text"`` flags rows; a later flag replaces an earlier one.
    """

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.codes = np.zeros(len(index), dtype=np.int8)
        self.texts = [""]

    def __setitem__(self, mask: np.ndarray, reason: str) -> None:
        if reason not in self.texts:
            self.texts.append(reason)
        self.codes[np.asarray(mask, dtype=bool)] = self.texts.index(reason)

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(self.codes == 0)


def _reasons(index: pd.Index) -> _Reasons:
    return _Reasons(index)


def _text(values: pd.Series) -> pd.Series:
    """Stripped strings as objects, with missing as NaN (what scikit-learn's encoders expect)."""
    # Clean each distinct value once (vectorised), then spread the results over the rows.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = pd.Series(pd.Index(uniques).astype(str), dtype="string").str.strip()
    cleaned = cleaned.mask(cleaned == "")
    table = np.append(cleaned.to_numpy(dtype=object, na_value=np.nan), np.nan)
    return pd.Series(table[codes], index=values.index, dtype=object)


def _parse_number(col: Column, values: pd.Series) -> tuple[pd.Series, _Reasons]:
    given = values.notna()
    if values.dtype == bool:
        values = values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    reasons = _reasons(values.index)
    reasons[(given & numbers.isna()).to_numpy()] = refusals.NOT_A_NUMBER
    finite = np.isfinite(numbers.to_numpy())
    reasons[(numbers.notna().to_numpy() & ~finite)] = refusals.NOT_FINITE
    ok = numbers.notna().to_numpy() & finite
    if col.minimum is not None:
        reasons[ok & (numbers.to_numpy() < col.minimum)] = refusals.out_of_range(col)
    if col.maximum is not None:
        reasons[ok & (numbers.to_numpy() > col.maximum)] = refusals.out_of_range(col)
    if col.kind is Kind.INTEGER:
        fractional = ok & (np.floor(numbers.to_numpy()) != numbers.to_numpy())
        reasons[fractional] = refusals.NOT_WHOLE
    return numbers.where(reasons.ok, np.nan), reasons


def _parse_boolean(values: pd.Series) -> tuple[pd.Series, _Reasons]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.asarray([*(_truth(u) for u in uniques), np.nan], dtype=float)
    result = pd.Series(table[codes], index=values.index, dtype=float)
    reasons = _reasons(values.index)
    reasons[(values.notna() & result.isna()).to_numpy()] = refusals.NOT_YES_NO
    return result, reasons


def _truth(value: object) -> float:
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return 1.0
    return 0.0 if word in FALSE_WORDS else np.nan


def _parse_date(
    values: pd.Series, date_format: str | None, purpose: Purpose
) -> tuple[pd.Series, _Reasons]:
    dates = pd.to_datetime(values, format=date_format or "ISO8601", errors="coerce")
    reasons = _reasons(values.index)
    reasons[(values.notna() & dates.isna()).to_numpy()] = refusals.not_a_date(date_format)
    if purpose == "train":
        reasons[values.isna().to_numpy()] = "offer_date is missing"
    return dates, reasons


def _parse_label(values: pd.Series, purpose: Purpose) -> tuple[pd.Series, _Reasons]:
    labels = values.astype("string").str.strip().str.lower()
    reasons = _reasons(values.index)
    if purpose == "train":
        reasons[values.isna().to_numpy()] = "outcome is missing"
        unknown = values.notna() & ~labels.isin(schema.OUTCOMES).fillna(False)
        reasons[unknown.to_numpy()] = f"unknown outcome label (expected one of {schema.OUTCOMES})"
    return labels.astype(object).where(labels.notna(), np.nan), reasons


def _problems(raw: pd.Series, reasons: _Reasons, column: str) -> list[RowProblem]:
    bad = np.flatnonzero(~reasons.ok)
    rows = reasons.index[bad]
    return [
        RowProblem(int(row), column, _shown(raw.iloc[position]), reasons.texts[code])
        for row, position, code in zip(rows, bad, reasons.codes[bad], strict=True)
    ]


def _shown(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
