"""Choosing and fitting probability calibration on held-out validation data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

METHODS = ("sigmoid", "isotonic")
FOLDS = 5


@dataclass(frozen=True)
class CalibrationChoice:
    method: str
    cross_fitted_log_loss: dict[str, float]


def choose_method(fitted: Pipeline, X: pd.DataFrame, y: np.ndarray, seed: int) -> CalibrationChoice:  # noqa: N803
    """The method with the lowest log loss when each fold is calibrated on the other folds.

    Scoring a calibrator on the rows it was fitted on would always favour isotonic regression;
    cross-fitting on the validation rows compares the methods fairly.
    """
    prepared = fitted[:-1].transform(X)
    frozen = FrozenEstimator(fitted[-1])
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    losses: dict[str, float] = {}
    for method in METHODS:
        predicted = np.empty(len(y))
        for fit_rows, score_rows in folds.split(prepared, y):
            calibrator = CalibratedClassifierCV(frozen, method=method)
            calibrator.fit(prepared[fit_rows], y[fit_rows])
            predicted[score_rows] = calibrator.predict_proba(prepared[score_rows])[:, 1]
        losses[method] = float(log_loss(y, predicted, labels=[0, 1]))
    best = min(losses, key=losses.__getitem__)
    return CalibrationChoice(best, losses)


def calibrated(fitted: Pipeline, X: pd.DataFrame, y: np.ndarray, method: str) -> Pipeline:  # noqa: N803
    """One ``Pipeline``: the fitted preparation, then the frozen classifier calibrated on X, y."""
    prepare = fitted.named_steps["prepare"]
    calibrator = CalibratedClassifierCV(FrozenEstimator(fitted[-1]), method=method)
    calibrator.fit(prepare.transform(X), y)
    return Pipeline([("prepare", prepare), ("classify", calibrator)])
