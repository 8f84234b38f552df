"""Typical values of each feature in the training data, recorded in the manifest.

Reasons compare a candidate's value with the typical one ("typical is 18 days"), and the
service warns about categories the model never saw; both read this summary.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Column, Kind

MAX_LISTED_CATEGORIES = 64


def feature_summary(training: pd.DataFrame, features: FeatureSet) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for column in features.columns:
        values = training[column.name]
        entry: dict[str, Any] = {"missing_share": float(values.isna().mean())}
        present = values.dropna()
        if column.is_numeric:
            quantiles = present.quantile([0.1, 0.5, 0.9]).tolist() if len(present) else []
            entry |= dict(zip(("p10", "median", "p90"), map(float, quantiles), strict=False))
            entry["typical"] = _typical_number(present, column)
        else:
            counts = present.astype(str).value_counts()
            entry["categories"] = counts.index[:MAX_LISTED_CATEGORIES].tolist()
            entry["typical"] = counts.index[0] if len(counts) else None
        summary[column.name] = entry
    return summary


def _typical_number(present: pd.Series, column: Column) -> float | None:
    """The median, or for whole numbers and yes/no the lower median: a value an offer can
    have ("2 offers", "no"), since reasons name it and measure effects against it."""
    if not len(present):
        return None
    if column.kind in (Kind.INTEGER, Kind.BOOLEAN):
        return float(present.quantile(0.5, interpolation="lower"))
    return float(present.median())
