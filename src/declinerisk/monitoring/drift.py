"""Drift: how far today's offers and scores have moved from the ones the model learned from.

At training, :func:`reference` records each input's distribution in bins (deciles of the
training values for numbers, the seen categories for categories, missing as a bin of its own)
and the score's distribution in ten equal-width bins; the manifest keeps it. Later,
:func:`drift_report` bins current offers the same way and reports the population stability
index, PSI = sum over bins of (current - reference) x ln(current / reference), per input and
for the score, against the usual thresholds: below 0.1 stable, 0.1 to 0.25 moderate shift,
above 0.25 significant shift.

Below :data:`MIN_ROWS` current offers there is no PSI and no verdict but "too few offers to
judge": with 5 offers from the very process the model learned from, most bins are empty and
PSI comes out around 5 ("significant shift"), and with none it is undefined. PSI's own noise
shrinks as 1/rows: drawing current offers from the training distribution of a ten-bin input,
100 of them read "moderate shift" in 36% of draws, 200 in 4% (400 in 0.2%; "significant" in
0.4% at 100 and never at 200), so the minimum is 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from declinerisk.artifacts.manifest import CategoryBins, DriftReference, NumericBins
from declinerisk.data.features import FeatureSet

STABLE = 0.1
SIGNIFICANT = 0.25
NUMERIC_BINS = 10
SCORE_EDGES = [i / 10 for i in range(1, 10)]
MIN_ROWS = 200
TOO_FEW = "too few offers to judge"
EPSILON = 1e-4  # empty bins would make PSI infinite
MISSING = "(missing)"
SCORE_LINE = "decline_probability (score)"
OTHER = "(other)"


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins (shares or counts)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    if ref.sum() <= 0 or cur.sum() <= 0:
        raise ValueError("PSI needs rows on both sides; an empty distribution has none")
    ref = np.clip(ref / ref.sum(), EPSILON, None)
    cur = np.clip(cur / cur.sum(), EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def verdict(value: float | None) -> str:
    if value is None:
        return TOO_FEW
    if value < STABLE:
        return "stable"
    return "moderate shift" if value < SIGNIFICANT else "significant shift"


def _numeric_shares(values: pd.Series, edges: list[float]) -> list[int]:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    present = x[~np.isnan(x)]
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    return [*counts.tolist(), int(np.isnan(x).sum())]


def _category_shares(values: pd.Series, categories: list[str]) -> list[int]:
    text = values.astype(object).where(values.notna(), None)
    counts = [int((text == c).sum()) for c in categories]
    missing = int(text.isna().sum())
    other = len(text) - sum(counts) - missing
    return [*counts, other, missing]


def reference(frame: pd.DataFrame, features: FeatureSet, scores: np.ndarray) -> DriftReference:
    """Binned training distributions of every input and of the score, for the manifest."""
    inputs: dict[str, NumericBins | CategoryBins] = {}
    for column in features.columns:
        values = frame[column.name]
        if column.is_numeric:
            present = pd.to_numeric(values, errors="coerce").dropna()
            quantiles = np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]
            edges = sorted(set(present.quantile(quantiles).tolist())) if len(present) else []
            inputs[column.name] = NumericBins(edges=edges, counts=_numeric_shares(values, edges))
        else:
            categories = values.dropna().astype(str).value_counts().index[:30].tolist()
            inputs[column.name] = CategoryBins(
                categories=categories, counts=_category_shares(values, categories)
            )
    score_counts = _numeric_shares(pd.Series(scores), SCORE_EDGES)
    return DriftReference(inputs=inputs, score=NumericBins(edges=SCORE_EDGES, counts=score_counts))


def current_from_store(
    store: Any, features: FeatureSet, days: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Offers scored in the last ``days`` days, typed through the contract, and their scores."""
    from datetime import UTC, datetime, timedelta

    from declinerisk.data.mapping import ColumnMapping
    from declinerisk.data.validation import validate_offers

    recent = store.recent_scores(datetime.now(UTC) - timedelta(days=days))
    if recent.empty:
        return recent, np.empty(0)
    scores = recent.pop("decline_probability").to_numpy(dtype=float)
    recent.index = pd.RangeIndex(1, len(recent) + 1, name="row")
    typed = validate_offers(
        recent, ColumnMapping(), source="store", purpose="score", features=features
    ).frame
    return typed, scores


@dataclass(frozen=True)
class DriftLine:
    name: str
    psi: float | None  # None below MIN_ROWS current offers
    verdict: str
    rows: int


def drift_report(
    ref: DriftReference, current: pd.DataFrame, scores: np.ndarray | None
) -> list[DriftLine]:
    """PSI per input (and for the score when ``scores`` is given), largest first.

    Fewer than :data:`MIN_ROWS` current offers give every line "too few offers to judge".
    """
    rows = len(current)
    if rows < MIN_ROWS:
        names = list(ref.inputs)
        if scores is not None:
            names.insert(0, SCORE_LINE)
        return [DriftLine(name, None, TOO_FEW, rows) for name in names]
    lines = []
    for name, bins in ref.inputs.items():
        if name not in current.columns:
            continue
        if isinstance(bins, NumericBins):
            now = _numeric_shares(current[name], bins.edges)
        else:
            now = _category_shares(current[name], bins.categories)
        value = psi(np.asarray(bins.counts), np.asarray(now))
        lines.append(DriftLine(name, value, verdict(value), rows))
    lines.sort(key=lambda line: -(line.psi or 0.0))
    if scores is not None and len(scores):
        now = _numeric_shares(pd.Series(scores), ref.score.edges)
        value = psi(np.asarray(ref.score.counts), np.asarray(now))
        lines.insert(0, DriftLine(SCORE_LINE, value, verdict(value), len(scores)))
    return lines
