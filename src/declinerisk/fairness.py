"""Fairness audit: do high-risk flags fall unevenly on protected groups?

On the test set, for each protected attribute the data carries (gender, age band, race or
ethnicity) and each intersection of them, per group: the count, the share flagged high risk,
the impact ratio against the most-flagged group (the EEOC four-fifths rule reads a ratio under
0.8 as evidence of adverse impact), ROC AUC and calibration error. Groups under 30 rows are
listed but marked too small to judge, and take no part in the ratio. Protected attributes are
never model inputs; they are only read here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from declinerisk.evaluate import expected_calibration_error

MIN_GROUP = 30
FOUR_FIFTHS = 0.8
AGE_BANDS = (0, 30, 40, 50, 200)
AGE_LABELS = ("under 30", "30-39", "40-49", "50 and over")


@dataclass(frozen=True)
class GroupResult:
    attribute: str
    group: str
    count: int
    flagged_share: float
    impact_ratio: float | None
    roc_auc: float | None
    calibration_error: float
    too_small: bool
    adverse: bool


def protected_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The protected attributes present, age turned into bands when only ages are given."""
    found: dict[str, pd.Series] = {}
    for name in ("gender", "age_band", "race_ethnicity"):
        if name in frame.columns and frame[name].notna().any():
            found[name] = frame[name].astype(object).where(frame[name].notna(), "(not given)")
    if "age_band" not in found and "age" in frame.columns and frame["age"].notna().any():
        bands = pd.cut(frame["age"], AGE_BANDS, right=False, labels=AGE_LABELS)
        found["age_band"] = bands.astype(object).where(bands.notna(), "(not given)")
    return found


def audit(
    frame: pd.DataFrame, declined: np.ndarray, probability: np.ndarray, flagged: np.ndarray
) -> list[GroupResult]:
    """Per group of each protected attribute and intersection of attributes."""
    attributes = protected_columns(frame)
    views: dict[str, pd.Series] = dict(attributes)
    names = list(attributes)
    for size in range(2, len(names) + 1):
        for combo in combinations(names, size):
            joined = attributes[combo[0]].astype(str)
            for other in combo[1:]:
                joined = joined + " & " + attributes[other].astype(str)
            views[" x ".join(combo)] = joined
    results: list[GroupResult] = []
    for attribute, groups in views.items():
        results.extend(_groups(attribute, groups.to_numpy(), declined, probability, flagged))
    return results


def _groups(
    attribute: str, groups: np.ndarray, y: np.ndarray, p: np.ndarray, flagged: np.ndarray
) -> list[GroupResult]:
    rows = []
    for group in sorted(set(groups.tolist()), key=str):
        mask = groups == group
        count = int(mask.sum())
        auc = float(roc_auc_score(y[mask], p[mask])) if len(set(y[mask].tolist())) == 2 else None
        rows.append(
            (
                str(group),
                count,
                float(flagged[mask].mean()),
                auc,
                expected_calibration_error(y[mask], p[mask]),
            )
        )
    judged = [share for _, count, share, _, _ in rows if count >= MIN_GROUP]
    top = max(judged) if judged else 0.0
    results = []
    for group, count, share, auc, ece in rows:
        small = count < MIN_GROUP
        ratio = None if small or top == 0 else share / top
        results.append(
            GroupResult(
                attribute=attribute,
                group=group,
                count=count,
                flagged_share=share,
                impact_ratio=ratio,
                roc_auc=auc,
                calibration_error=ece,
                too_small=small,
                adverse=ratio is not None and ratio < FOUR_FIFTHS,
            )
        )
    return results


def as_records(results: list[GroupResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
