"""The training recipe: choose the boosting settings, evaluate them in time order, ship.

1. **Select** (:func:`select`): each candidate setting of the EBM is cross-fitted on the
   training part (on a random sample of at most ``selection_max_rows`` rows); the one with the
   best cross-fitted ROC AUC wins, the first listed on a tie.
2. **Evaluate** (:func:`evaluate`): the winner's cross-fitted log-odds fit the Platt
   calibration; the winner refitted on the whole training part scores the test part, which no
   step before has touched. (The logistic baseline is a training step of its own.)
3. **Ship** (:func:`ship`): the winner refitted on every valid row, calibrated on log-odds of
   rows no scoring model saw (the cross-fitted training rows and the evaluated test rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from interpret.glassbox import ExplainableBoostingClassifier
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from declinerisk.data.features import FeatureSet
from declinerisk.data.split import Split, declined
from declinerisk.modeling.bands import RiskBands
from declinerisk.modeling.glassbox import GlassboxModel, calibration_for, cross_fitted_raw, fit_ebm
from declinerisk.train.config import EbmSettings, TrainConfig
from declinerisk.train.progress import Reporter

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Selection:
    """The chosen settings, every candidate's cross-fitted ROC AUC, and the winner's
    cross-fitted log-odds of the training rows when the comparison used all of them."""

    settings: EbmSettings
    roc_auc: dict[str, float]
    rows: int
    cross_fitted: Array | None


@dataclass(frozen=True)
class Evaluation:
    """The evaluated model (fitted on the training part only) and what the test set said."""

    selection: Selection
    model: GlassboxModel
    cross_fitted_raw: Array  # training rows' log-odds from models that never saw them
    test_raw: Array
    test_p: Array
    bands: RiskBands


def select(config: TrainConfig, features: FeatureSet, split: Split, report: Reporter) -> Selection:
    """The candidate setting with the best cross-fitted ROC AUC on the training part.

    With one candidate there is nothing to compare and nothing is fitted here.
    """
    settings = config.glassbox
    if len(settings.candidates) == 1:
        return Selection(settings.candidates[0], {}, 0, None)
    x, y = split.training[features.names], declined(split.training)
    sampled = len(x) > settings.selection_max_rows
    if sampled:
        rng = np.random.default_rng(config.seed)
        keep = np.sort(rng.choice(len(x), settings.selection_max_rows, replace=False))
        x, y = x.iloc[keep], y[keep]
    scores: dict[str, float] = {}
    raws: dict[str, Array] = {}
    for i, candidate in enumerate(settings.candidates, start=1):
        report.status(
            f"Cross-fitting settings {i}/{len(settings.candidates)} ({candidate.label}) "
            f"on {len(x):,} rows",
            done=i - 1,
            total=len(settings.candidates),
        )
        raws[candidate.label] = cross_fitted_raw(
            x, y, _fitter(config, features, candidate), settings.cross_fit_folds, config.seed
        )
        scores[candidate.label] = float(roc_auc_score(y, raws[candidate.label]))
        report.detail(f"  {candidate.label}: cross-fitted ROC AUC {scores[candidate.label]:.4f}")
    best = max(settings.candidates, key=lambda c: scores[c.label])
    return Selection(best, scores, len(x), None if sampled else raws[best.label])


def evaluate(
    config: TrainConfig, features: FeatureSet, split: Split, report: Reporter
) -> Evaluation:
    """Select, then fit the winner on the training part only and score the test part."""
    selection = select(config, features, split, report)
    x, y = split.training[features.names], declined(split.training)
    fit = _fitter(config, features, selection.settings)
    cross_fitted = selection.cross_fitted
    if cross_fitted is None:
        report.status(f"Cross-fitting the calibration on {len(x):,} rows")
        cross_fitted = cross_fitted_raw(x, y, fit, config.glassbox.cross_fit_folds, config.seed)
    report.status(f"Fitting the evaluated model on {len(x):,} training rows")
    calibration = calibration_for(cross_fitted, y)
    model = GlassboxModel(fit(x, y), calibration)
    report.status("Scoring the test set")
    test_raw = model.decision_function(split.test)
    test_p = calibration.probability(test_raw)
    bands = RiskBands.from_scores(
        calibration.probability(cross_fitted),
        config.bands.high_share,
        config.bands.medium_share,
        raw=cross_fitted,
    )
    return Evaluation(selection, model, cross_fitted, test_raw, test_p, bands)


def ship(
    config: TrainConfig,
    features: FeatureSet,
    offers: pd.DataFrame,
    split: Split,
    evaluation: Evaluation,
    report: Reporter,
) -> tuple[GlassboxModel, Array]:
    """The evaluated recipe refitted on every valid row.

    Its calibration is fitted on log-odds no scoring model saw its own row for: the training
    rows' cross-fitted log-odds and the test rows' log-odds from the evaluated model. Returns
    the model and those out-of-sample log-odds (what new offers' scores look like).
    """
    fit = _fitter(config, features, evaluation.selection.settings)
    report.status(f"Refitting on all {len(offers):,} rows")
    ebm = fit(offers[features.names], declined(offers))
    out_of_sample = np.concatenate([evaluation.cross_fitted_raw, evaluation.test_raw])
    labels = np.concatenate([declined(split.training), declined(split.test)])
    return GlassboxModel(ebm, calibration_for(out_of_sample, labels)), out_of_sample


Fit = Callable[[pd.DataFrame, NDArray[np.int64]], ExplainableBoostingClassifier]


def _fitter(config: TrainConfig, features: FeatureSet, settings: EbmSettings) -> Fit:
    def fit(rows: pd.DataFrame, labels: NDArray[np.int64]) -> ExplainableBoostingClassifier:
        return fit_ebm(rows, labels, features, config.glassbox, settings, config.seed)

    return fit
