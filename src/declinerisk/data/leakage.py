"""Leak guard: stop training when an input gives the outcome away.

A column that was filled in after the decision (a stated decline reason, a start date, a
"withdrawn" status) predicts the outcome almost perfectly in training and is useless, or
worse, on open offers. Two checks:

* **Before fitting**, each input alone: its ROC AUC on the fitting rows, ``max(AUC, 1 - AUC)``
  for a number (missing values placed at the bottom and at the top, the larger counts, since
  a column can leak through being blank), and for a category the AUC of its per-category
  decline rate learned out of fold (so an id-like column with many categories does not look
  perfect by memorising its own rows). Above :data:`MAX_SINGLE_AUC` training stops, naming
  the column and how to keep it (``--allow-feature NAME``). Real signals stay far below: the
  strongest demo input alone reaches about 0.7.
* **After evaluation**, on demo data where the true decline probability is known: a test ROC
  AUC above the Bayes ROC AUC (the best any honest model can reach) by more than
  :data:`MAX_ABOVE_BAYES` is proof of a leak.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from declinerisk.data.features import FeatureSet
from declinerisk.data.split import declined
from declinerisk.errors import ConfigError, DeclineRiskError

MAX_SINGLE_AUC = 0.95
MAX_ABOVE_BAYES = 0.02
MAX_ROWS = 200_000  # AUC is known to +-0.002 on this many rows; larger inputs are sampled
FOLDS = 5
SEED = 0
MISSING = "(missing)"


class LeakageError(DeclineRiskError):
    """An input predicts the outcome too well to be known before the decision."""


def single_column_auc(values: pd.Series, y: np.ndarray, *, numeric: bool) -> float:
    """How well one column alone separates declines from acceptances (0.5 = not at all)."""
    if numeric:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(x)
        if missing.all():
            return 0.5
        low, high = np.nanmin(x) - 1.0, np.nanmax(x) + 1.0
        return max(_two_sided(y, np.where(missing, fill, x)) for fill in (low, high))
    return _two_sided(y, _out_of_fold_rate(values, y))


def _two_sided(y: np.ndarray, score: np.ndarray) -> float:
    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def _out_of_fold_rate(values: pd.Series, y: np.ndarray) -> np.ndarray:
    """Each row's category decline rate, learned on the other folds (missing is a category)."""
    labels = values.astype(object).where(values.notna(), MISSING).astype(str).to_numpy()
    rate = np.empty(len(y))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for fit, held in folds.split(labels, y):
        learned = pd.Series(y[fit]).groupby(labels[fit]).mean()
        rate[held] = pd.Series(labels[held]).map(learned).fillna(y[fit].mean()).to_numpy()
    return rate


def check_inputs(
    frame: pd.DataFrame, features: FeatureSet, allow: Collection[str] = ()
) -> dict[str, float]:
    """Raise :class:`LeakageError` naming each input whose own ROC AUC exceeds the limit.

    ``frame`` holds labelled training rows; columns in ``allow`` are measured but never stop
    training. Returns every input's single-column AUC.
    """
    unknown = sorted(set(allow) - set(features.names))
    if unknown:
        raise ConfigError(
            f"--allow-feature names {unknown}, which are not model inputs; inputs: {features.names}"
        )
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=SEED)
    y = declined(frame)
    aucs = {
        c.name: single_column_auc(frame[c.name], y, numeric=c.is_numeric) for c in features.columns
    }
    leaking = {n: a for n, a in aucs.items() if a > MAX_SINGLE_AUC and n not in set(allow)}
    if leaking:
        named = "; ".join(f"{n!r} alone reaches ROC AUC {a:.3f}" for n, a in leaking.items())
        flags = " ".join(f"--allow-feature {_quoted(n)}" for n in leaking)
        raise LeakageError(
            f"training stopped: {named} on the training offers (limit {MAX_SINGLE_AUC}). "
            "A column that predicts the outcome this well was most likely recorded after the "
            "decision (leakage) and will not be known for open offers. Remove it from the "
            f"mapping, or, if it is known before the decision, keep it with {flags}"
        )
    return aucs


def check_test_auc(test_metrics: dict[str, float], allow: Collection[str] = ()) -> str | None:
    """Stop when the test ROC AUC beats the Bayes ROC AUC (demo data) by more than the margin.

    When columns were allowed with ``--allow-feature`` the user has vouched for them: the
    finding is returned, naming them, for the caller to show as a warning instead of stopping
    training. None when there is nothing to say.
    """
    bayes = test_metrics.get("bayes_roc_auc")
    if bayes is None:
        return None
    auc = test_metrics["roc_auc"]
    if auc <= bayes + MAX_ABOVE_BAYES:
        return None
    finding = (
        f"test ROC AUC {auc:.3f} is above the Bayes ROC AUC {bayes:.3f} (the best any model "
        f"can reach on this data) by more than {MAX_ABOVE_BAYES}: an input leaks the outcome"
    )
    if allow:
        return f"{finding}; allowed with --allow-feature: {', '.join(sorted(allow))}"
    raise LeakageError(
        f"training stopped: {finding}. Look for a column recorded after the decision."
    )


def _quoted(name: str) -> str:
    return f"'{name}'" if " " in name else name
