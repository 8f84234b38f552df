"""Test-set metrics for decline probabilities."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

ECE_BINS = 10


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = ECE_BINS) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by bin size."""
    y_arr = np.asarray(y, dtype=float)
    p_arr = np.asarray(p, dtype=float)
    # Bin i holds [i/bins, (i+1)/bins); a probability of exactly 1 joins the last bin.
    index = np.minimum((p_arr * bins).astype(int), bins - 1)
    observed = np.bincount(index, weights=y_arr, minlength=bins)
    predicted = np.bincount(index, weights=p_arr, minlength=bins)
    return float(np.abs(observed - predicted).sum() / max(len(p_arr), 1))


def top_decile_capture(y: ArrayLike, p: ArrayLike) -> float:
    """Share of all declines found among the 10 % of offers with the highest scores."""
    y_arr = np.asarray(y, dtype=float)
    p_arr = np.asarray(p, dtype=float)
    top = max(int(np.ceil(0.1 * len(p_arr))), 1)
    order = np.argsort(-p_arr, kind="stable")[:top]
    declines = y_arr.sum()
    return float(y_arr[order].sum() / declines) if declines else float("nan")


def classification_metrics(
    y: ArrayLike, p: ArrayLike, true_probability: ArrayLike | None = None
) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, log loss, ECE, top-decile capture (and Bayes AUC when known)."""
    y_arr = np.asarray(y, dtype=int)
    p_arr = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    metrics = {
        "roc_auc": float(roc_auc_score(y_arr, p_arr)),
        "pr_auc": float(average_precision_score(y_arr, p_arr)),
        "brier": float(brier_score_loss(y_arr, p_arr)),
        "log_loss": float(log_loss(y_arr, p_arr, labels=[0, 1])),
        "ece": expected_calibration_error(y_arr, p_arr),
        "top_decile_capture": top_decile_capture(y_arr, p_arr),
        "decline_rate": float(y_arr.mean()),
    }
    if true_probability is not None:
        metrics["bayes_roc_auc"] = float(roc_auc_score(y_arr, np.asarray(true_probability)))
    return metrics
