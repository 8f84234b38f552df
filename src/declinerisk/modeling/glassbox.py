"""The shipped model: an explainable boosting machine and the calibration of its log-odds.

InterpretML's ``ExplainableBoostingClassifier`` (EBM) is a generalised additive model with
pairwise interactions, fitted by cyclic gradient boosting with bagging: each input gets a shape
function, each pair it detects an interaction surface, and the log-odds are their sum. That is
a glassbox by its public API (``term_scores_``, ``eval_terms``), so reasons are exact
(:mod:`declinerisk.explain.terms`), and on tabular data it matches gradient-boosted trees.

The probability shown is ``sigmoid(slope * log-odds + intercept)`` (Platt scaling), fitted on
log-odds of rows the scoring models never saw (cross-fitting). Platt scaling is strictly
monotone, so it never ties scores the model told apart and never zeroes a reason's effect
(isotonic regression did both).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from interpret.glassbox import ExplainableBoostingClassifier
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Kind
from declinerisk.train.config import EbmSettings, GlassboxConfig

Array = NDArray[np.float64]
# Unregularised Platt scaling: two parameters fitted on thousands of rows need no penalty.
PLATT_C = 1e6


@dataclass(frozen=True)
class Calibration:
    """``p = 1 / (1 + exp(-(slope * raw + intercept)))``."""

    slope: float
    intercept: float

    def probability(self, raw: Array) -> Array:
        return np.asarray(1.0 / (1.0 + np.exp(-(self.slope * raw + self.intercept))))


class GlassboxModel:
    """A fitted EBM and its calibration, scikit-learn style (``predict_proba`` on a frame).

    This is the public, library-only reference path: the scoring kernel computes the same
    numbers from compiled term tables, and the canary at load checks that they agree.
    """

    def __init__(self, ebm: ExplainableBoostingClassifier, calibration: Calibration) -> None:
        self.ebm = ebm
        self.calibration = calibration
        self.feature_names_in_ = np.asarray(ebm.feature_names_in_, dtype=object)

    def decision_function(self, offers: pd.DataFrame) -> Array:
        """The uncalibrated log-odds, from InterpretML's public ``decision_function``."""
        frame = offers[list(self.feature_names_in_)]
        return np.asarray(self.ebm.decision_function(frame), dtype=np.float64)

    def predict_proba(self, offers: pd.DataFrame) -> Array:
        p = self.calibration.probability(self.decision_function(offers))
        return np.column_stack([1.0 - p, p])


def bags_for(rows: int, config: GlassboxConfig) -> int:
    """Outer bags for ``rows``: the configured number while ``rows x bags`` fits the budget.

    Bagging smooths the shape functions; with many rows each bag already sees plenty, so large
    exports trade bags for time (measured in benchmarks/README.md: 2 bags instead of 14 at
    100,000 rows moved test ROC AUC by 0.0002).
    """
    return max(config.min_outer_bags, min(config.outer_bags, config.bag_budget_rows // rows))


def fit_ebm(
    offers: pd.DataFrame,
    y: NDArray[np.int64],
    features: FeatureSet,
    config: GlassboxConfig,
    settings: EbmSettings,
    seed: int,
) -> ExplainableBoostingClassifier:
    """An EBM on the contract's inputs, monotone where the contract knows the direction.

    Monotonicity is imposed after fitting, with InterpretML's public ``monotonize`` (isotonic
    regression of the input's shape function), not by constraining the boosting: on 100,000
    demo rows the constrained fit lost 0.0012 test ROC AUC and 0.003 PR AUC, the repaired
    one 0.0001 and nothing. Pairs are left as learned.
    """
    model = ExplainableBoostingClassifier(
        feature_names=features.names,
        feature_types=[
            "nominal" if c.kind is Kind.CATEGORY else "continuous" for c in features.columns
        ],
        interactions=config.interactions,
        outer_bags=bags_for(len(offers), config),
        learning_rate=settings.learning_rate,
        smoothing_rounds=settings.smoothing_rounds,
        interaction_smoothing_rounds=settings.smoothing_rounds,
        max_rounds=config.max_rounds,
        n_jobs=config.n_jobs,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # InterpretML warns that its plots hide missing values; we never plot, and missing
        # values get their own bin (and their own reason wording).
        warnings.filterwarnings("ignore", message="Missing values detected", category=UserWarning)
        model.fit(offers[features.names], y)
    for column in features.columns:
        if column.risk_direction:
            model.monotonize(column.name, increasing=column.risk_direction > 0)
    return model


def calibration_for(raw: Array, y: NDArray[np.int64]) -> Calibration:
    """Platt scaling of out-of-sample log-odds ``raw`` against outcomes ``y``."""
    platt = LogisticRegression(C=PLATT_C, max_iter=1000).fit(raw.reshape(-1, 1), y)
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    if slope <= 0.0:
        raise ValueError("calibration found no relation between the model's scores and outcomes")
    return Calibration(slope, intercept)


def cross_fitted_raw(
    offers: pd.DataFrame,
    y: NDArray[np.int64],
    fit: Callable[[pd.DataFrame, NDArray[np.int64]], Any],
    folds: int,
    seed: int,
) -> Array:
    """Each row's log-odds from a model fitted on the other folds (never on the row itself)."""
    raw = np.empty(len(offers), dtype=np.float64)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_rows, held_out in splitter.split(np.zeros(len(y)), y):
        model = fit(offers.iloc[fit_rows], y[fit_rows])
        raw[held_out] = model.decision_function(offers.iloc[held_out])
    return raw
