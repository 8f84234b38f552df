"""Exact per-column contributions to a candidate's decline log-odds.

Both model families are additive in the log-odds (see :mod:`declinerisk.pipeline`), so for
every row ``base + sum(contributions) == raw log-odds`` of the classifier before calibration,
and each contribution is measured against a typical (training-average) offer:

* logistic regression: coefficient x centred input, summed over the one-hot and
  missing-indicator columns that came from the same input column; base = intercept;
* boosted trees without interactions: each tree splits on one column, so a column's shape
  function is the sum of its trees. The trees are compiled once into lookup tables (thresholds
  and values per column), which also makes scoring faster than walking the trees; base =
  the model's baseline plus each column's training-weighted mean.

The calibrator is applied to ``base + sum`` to give the decline probability, identical (to
floating-point rounding) to the fitted pipeline's ``predict_proba``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from declinerisk.schema import FeatureSet

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Contributions:
    """``values[i, j]``: how much column ``features[j]`` moves row ``i``'s decline log-odds."""

    base: float
    values: Array
    features: tuple[str, ...]

    @property
    def raw(self) -> Array:
        """The classifier's log-odds before calibration."""
        return np.asarray(self.base + self.values.sum(axis=1), dtype=np.float64)


class _ColumnExplainer(Protocol):
    def contributions(self, prepared: Array) -> tuple[float, Array]: ...


class Explainer:
    """Contributions and calibrated probabilities of one fitted, calibrated pipeline."""

    def __init__(self, pipeline: Pipeline, features: FeatureSet) -> None:
        self.features = features
        self._prepare: ColumnTransformer = pipeline.named_steps["prepare"]
        classifier, self._calibrator = _classifier_and_calibrator(pipeline.named_steps["classify"])
        # Transformed columns come numeric first, then categorical; map back to feature order.
        prepared_order = features.numeric + features.categorical
        self._to_feature_order = np.asarray([prepared_order.index(n) for n in features.names])
        self._columns: _ColumnExplainer
        if isinstance(classifier, LogisticRegression):
            self._columns = _LinearColumns(self._prepare, classifier, features)
        elif isinstance(classifier, HistGradientBoostingClassifier):
            self._columns = _TreeColumns(classifier)
        else:
            raise TypeError(f"no explainer for {type(classifier).__name__}")
        self._base = self.contributions_of_prepared(self._prepared(self._probe(1))).base
        self._compiled = [self._compile(j) for j in range(len(features.names))]

    def contributions(self, offers: pd.DataFrame) -> Contributions:
        """Per-column contributions, straight from the typed columns (no ColumnTransformer)."""
        values = np.empty((len(offers), len(self._compiled)), dtype=np.float64)
        for j, (name, column) in enumerate(zip(self.features.names, self._compiled, strict=True)):
            values[:, j] = column.evaluate(offers[name].to_numpy())
        return Contributions(self._base, values, tuple(self.features.names))

    def contributions_of_records(self, records: Sequence[Mapping[str, Any]]) -> Contributions:
        """The same numbers for a few plain records (dicts), without pandas: the fast path.

        Each value goes through the same compiled column, and the row sums and calibration
        run on the same NumPy operations, so probabilities equal the batch path's exactly.
        """
        names = self.features.names
        values = np.asarray(
            [
                [
                    column.scalar(record.get(name))
                    for name, column in zip(names, self._compiled, strict=True)
                ]
                for record in records
            ],
            dtype=np.float64,
        ).reshape(len(records), len(names))
        return Contributions(self._base, values, tuple(names))

    def unknown_categories_of_record(self, record: Mapping[str, Any]) -> dict[str, str]:
        found = {}
        for name, column in zip(self.features.names, self._compiled, strict=True):
            if isinstance(column, _CategoryColumn) and column.is_unseen(record.get(name)):
                found[name] = str(record.get(name)).strip()
        return found

    def contributions_through_pipeline(self, offers: pd.DataFrame) -> Contributions:
        """The same numbers computed through the pipeline's own ``prepare`` step (reference)."""
        return self.contributions_of_prepared(self._prepared(offers))

    def contributions_of_prepared(self, prepared: Array) -> Contributions:
        base, values = self._columns.contributions(prepared)
        return Contributions(base, values[:, self._to_feature_order], tuple(self.features.names))

    def unknown_categories(self, offers: pd.DataFrame) -> dict[str, list[str]]:
        """Per categorical column, the values in ``offers`` the model never saw in training."""
        found = {}
        for name, column in zip(self.features.names, self._compiled, strict=True):
            if isinstance(column, _CategoryColumn):
                unknown = column.unknown(offers[name].to_numpy())
                if unknown:
                    found[name] = unknown
        return found

    def _prepared(self, offers: pd.DataFrame) -> Array:
        return np.asarray(self._prepare.transform(offers[self.features.names]), dtype=np.float64)

    def _probe(self, rows: int) -> pd.DataFrame:
        """``rows`` offers with every input missing, to be filled in one column at a time."""
        frame = pd.DataFrame({n: np.full(rows, np.nan) for n in self.features.numeric})
        for name in self.features.categorical:
            frame[name] = np.full(rows, np.nan, dtype=object)
        return frame[self.features.names]

    def _column_contribution(self, j: int, values: list[Any]) -> Array:
        probe = self._probe(len(values))
        probe[self.features.names[j]] = pd.Series(values, dtype=probe.dtypes.iloc[j])
        return self.contributions_of_prepared(self._prepared(probe)).values[:, j]

    def _compile(self, j: int) -> _CompiledColumn:
        name = self.features.names[j]
        if name in self.features.categorical:
            known = [str(c) for c in self._categories_of(name)]
            # A string no export would hold stands for every category unseen in training.
            values = self._column_contribution(j, [*known, np.nan, "\x00unseen\x00"])
            return _CategoryColumn(
                dict(zip(known, values[:-2].tolist(), strict=True)),
                float(values[-2]),
                float(values[-1]),
            )
        if isinstance(self._columns, _TreeColumns):
            return _StepColumn(self._columns.table_for(self._prepared_index(name)))
        at_zero, at_one, missing = self._column_contribution(j, [0.0, 1.0, np.nan]).tolist()
        return _LinearColumn(at_one - at_zero, at_zero, missing)

    def _prepared_index(self, name: str) -> int:
        return (self.features.numeric + self.features.categorical).index(name)

    def _categories_of(self, name: str) -> list[Any]:
        branch = self._prepare.named_transformers_["categorical"]
        encoder = branch.named_steps["encode"] if isinstance(branch, Pipeline) else branch
        categories = encoder.categories_[self.features.categorical.index(name)]
        return [c for c in categories if isinstance(c, str)]

    def probability(self, raw: Array) -> Array:
        """Calibrated decline probability from raw log-odds, as ``predict_proba`` computes it."""
        if self._calibrator is None:
            return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)
        p = np.asarray(self._calibrator.predict(raw), dtype=np.float64)
        return np.minimum(p, 1.0)


class _CompiledColumn(Protocol):
    def evaluate(self, values: np.ndarray) -> Array: ...

    def scalar(self, value: Any) -> float: ...


def _number(value: Any) -> float:
    """A record's value as the float the batch path would hold (missing -> NaN)."""
    return np.nan if value is None else float(value)


@dataclass(frozen=True)
class _LinearColumn:
    """A logistic-regression column: slope x value + intercept, a constant when missing."""

    slope: float
    intercept: float
    missing: float

    def evaluate(self, values: np.ndarray) -> Array:
        x = np.asarray(values, dtype=np.float64)
        return np.where(np.isnan(x), self.missing, self.slope * x + self.intercept)

    def scalar(self, value: Any) -> float:
        x = _number(value)
        return self.missing if math.isnan(x) else self.slope * x + self.intercept


@dataclass(frozen=True)
class _StepColumn:
    """A tree column: its summed trees as a step function of the raw value."""

    table: _Table

    def evaluate(self, values: np.ndarray) -> Array:
        return self.table.lookup(np.asarray(values, dtype=np.float64))

    def scalar(self, value: Any) -> float:
        return self.table.lookup_one(_number(value))


@dataclass(frozen=True)
class _CategoryColumn:
    """A categorical column: one contribution per category seen in training."""

    by_category: dict[str, float]
    missing: float
    unseen: float

    def evaluate(self, values: np.ndarray) -> Array:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        table = [self.by_category.get(str(u), self.unseen) for u in uniques]
        result: Array = np.asarray([*table, self.missing], dtype=np.float64)[codes]
        return result

    def scalar(self, value: Any) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.missing
        text = str(value).strip()
        if not text:
            return self.missing
        return self.by_category.get(text, self.unseen)

    def is_unseen(self, value: Any) -> bool:
        return value is not None and str(value).strip() not in ("", *self.by_category)

    def unknown(self, values: np.ndarray) -> list[str]:
        uniques = pd.unique(pd.Series(values).dropna())
        return sorted(str(u) for u in uniques if str(u) not in self.by_category)


def _classifier_and_calibrator(step: Any) -> tuple[Any, Any]:
    if not isinstance(step, CalibratedClassifierCV):
        return step, None
    if len(step.calibrated_classifiers_) != 1:
        raise TypeError("expected one calibrated classifier (a frozen, prefit model)")
    fold = step.calibrated_classifiers_[0]
    frozen = fold.estimator
    return getattr(frozen, "estimator", frozen), fold.calibrators[0]


class _LinearColumns:
    """Coefficient x centred input, summed per original column."""

    def __init__(
        self, prepare: ColumnTransformer, model: LogisticRegression, features: FeatureSet
    ) -> None:
        owners = _linear_column_owners(prepare, features)
        prepared_order = features.numeric + features.categorical
        groups = np.zeros((len(owners), len(prepared_order)))
        groups[np.arange(len(owners)), [prepared_order.index(o) for o in owners]] = 1.0
        self._weights = model.coef_.ravel()[:, None] * groups
        self._base = float(model.intercept_[0])

    def contributions(self, prepared: Array) -> tuple[float, Array]:
        return self._base, prepared @ self._weights


def _linear_column_owners(prepare: ColumnTransformer, features: FeatureSet) -> list[str]:
    """For each column the preparation outputs, the input column it came from."""
    owners: list[str] = []
    numeric_slice = prepare.output_indices_["numeric"]
    if numeric_slice.stop > numeric_slice.start:
        imputer = prepare.named_transformers_["numeric"].named_steps["impute"]
        owners += features.numeric
        indicator = getattr(imputer, "indicator_", None)
        if indicator is not None:
            owners += [features.numeric[i] for i in indicator.features_]
    categorical_slice = prepare.output_indices_["categorical"]
    if categorical_slice.stop > categorical_slice.start:
        encoder = prepare.named_transformers_["categorical"].named_steps["encode"]
        infrequent = encoder.infrequent_categories_
        for name, categories, rare in zip(
            features.categorical, encoder.categories_, infrequent, strict=True
        ):
            pooled = 0 if rare is None else len(rare) - 1
            owners += [name] * (len(categories) - pooled)
    if len(owners) != numeric_slice.stop - numeric_slice.start + (
        categorical_slice.stop - categorical_slice.start
    ):
        raise TypeError("cannot trace the prepared columns back to their inputs")
    return owners


@dataclass(frozen=True)
class _Table:
    """One column's summed trees: thresholds (numeric) or codes (categorical) to log-odds."""

    thresholds: Array | None
    values: Array
    missing: float
    mean: float

    def lookup(self, x: Array) -> Array:
        nan = np.isnan(x)
        if self.thresholds is None:
            codes = np.where(np.isfinite(x), x, 0).astype(np.int64)
            out = self.values[np.clip(codes, 0, len(self.values) - 1)]
        else:
            out = self.values[np.searchsorted(self.thresholds, x, side="left")]
        out = np.where(nan, self.missing, out)
        return np.asarray(out - self.mean, dtype=np.float64)

    def lookup_one(self, x: float) -> float:
        if math.isnan(x):
            return self.missing - self.mean
        if self.thresholds is None:
            code = int(x) if math.isfinite(x) else 0
            return float(self.values[min(max(code, 0), len(self.values) - 1)]) - self.mean
        return float(self.values[bisect.bisect_left(self._threshold_list, x)]) - self.mean

    @cached_property
    def _threshold_list(self) -> list[float]:
        return [] if self.thresholds is None else self.thresholds.tolist()


class _TreeColumns:
    """A boosted model without interactions, compiled to one lookup table per column."""

    def __init__(self, model: HistGradientBoostingClassifier) -> None:
        # The model re-encodes its input (categorical columns first, its own category codes);
        # trees index that internal order, so tables do too and are mapped back at the end.
        self._internal = model._preprocessor
        given_categorical = np.asarray(model.is_categorical_, dtype=bool)
        self._order = (
            np.arange(len(given_categorical))
            if self._internal is None
            else np.concatenate(
                [np.flatnonzero(given_categorical), np.flatnonzero(~given_categorical)]
            )
        )
        is_categorical = np.asarray(model._bin_mapper.is_categorical, dtype=bool)
        known_bitsets, bitset_row = model._bin_mapper.make_known_categories_bitsets()
        by_column: list[list[Any]] = [[] for _ in range(len(is_categorical))]
        constant = float(np.ravel(model._baseline_prediction)[0])
        for (tree,) in model._predictors:
            nodes = tree.nodes
            if nodes[0]["is_leaf"]:
                constant += float(nodes[0]["value"])
                continue
            split_columns = set(nodes["feature_idx"][nodes["is_leaf"] == 0].tolist())
            if len(split_columns) != 1:
                raise TypeError("trees with interactions are not additive; cannot explain")
            by_column[split_columns.pop()].append(tree)
        self._tables = [
            _compile(
                trees,
                is_categorical[j],
                known_bitsets[bitset_row[j]] if is_categorical[j] else None,
                model,
            )
            for j, trees in enumerate(by_column)
        ]
        self._base = constant + sum(t.mean for t in self._tables)
        self._internal_of = {int(given): internal for internal, given in enumerate(self._order)}

    def table_for(self, prepared_column: int) -> _Table:
        """The lookup table of a numeric column, by its position in the prepared matrix."""
        return self._tables[self._internal_of[prepared_column]]

    def contributions(self, prepared: Array) -> tuple[float, Array]:
        internal = prepared if self._internal is None else self._internal.transform(prepared)
        values = np.empty_like(prepared, dtype=np.float64)
        for j, table in enumerate(self._tables):
            values[:, self._order[j]] = table.lookup(np.asarray(internal[:, j], dtype=np.float64))
        return self._base, values


def _compile(trees: list[Any], categorical: bool, known: Any, model: Any) -> _Table:
    if not trees:
        return _Table(np.empty(0), np.zeros(1), 0.0, 0.0)
    if categorical:
        codes = np.arange(model.max_bins, dtype=np.float64)
        is_known = ((known[(codes // 32).astype(int)] >> (codes % 32).astype(np.uint32)) & 1) == 1
        # Codes the trees never saw are routed like missing values, as the model does.
        points = np.where(is_known, codes, np.nan)
        thresholds = None
    else:
        splits = np.concatenate([t.nodes["num_threshold"][t.nodes["is_leaf"] == 0] for t in trees])
        thresholds = np.unique(splits)
        points = np.append(thresholds, np.inf)
    values = sum(_tree_values(t, points) for t in trees)
    missing = sum(_tree_values(t, np.array([np.nan]))[0] for t in trees)
    mean = sum(_tree_mean(t) for t in trees)
    return _Table(thresholds, np.asarray(values), float(missing), float(mean))


def _tree_values(tree: Any, points: Array) -> Array:
    """The tree's output at each point, routed exactly as scikit-learn's predictor does."""
    nodes = tree.nodes
    node = np.zeros(len(points), dtype=np.int64)
    nan = np.isnan(points)
    codes = np.where(np.isfinite(points), points, 0).astype(np.int64)
    while True:
        active = nodes["is_leaf"][node] == 0
        if not active.any():
            return np.asarray(nodes["value"][node], dtype=np.float64)
        current = nodes[node]
        with np.errstate(invalid="ignore"):
            go_left = points <= current["num_threshold"]
        # A split on a categorical column may be a category-set split or a threshold split.
        by_set = (current["is_categorical"] == 1) & active
        if by_set.any():
            words = tree.raw_left_cat_bitsets[current["bitset_idx"][by_set], codes[by_set] // 32]
            in_set = ((words >> (codes[by_set] % 32).astype(np.uint32)) & 1) == 1
            go_left[by_set] = in_set
        go_left = np.where(nan, current["missing_go_to_left"] == 1, go_left)
        child = np.where(go_left, current["left"], current["right"])
        node = np.where(active, child, node)


def _tree_mean(tree: Any) -> float:
    """The tree's average output over the rows it was grown on."""
    nodes = tree.nodes
    leaves = nodes["is_leaf"] == 1
    return float((nodes["value"][leaves] * nodes["count"][leaves]).sum() / nodes["count"][0])
