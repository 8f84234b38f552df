"""What a training run records: the manifest's typed parts, the evaluation frame, MLflow params.

Pure functions of the steps' results; nothing here fits or writes anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from declinerisk.artifacts.manifest import (
    CalibrationParams,
    Estimator,
    EstimatorParams,
    SelectionRecord,
    TestMetrics,
)
from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.sources import safe_source
from declinerisk.data.split import Split, declined
from declinerisk.modeling.baseline import BASELINE
from declinerisk.modeling.evaluate import classification_metrics
from declinerisk.modeling.glassbox import GlassboxModel, bags_for
from declinerisk.modeling.recipe import Evaluation
from declinerisk.train.config import GlassboxConfig, TrainConfig

FAMILY = "explainable_boosting"


def metrics_on_test(test: pd.DataFrame, probability: NDArray[np.float64]) -> TestMetrics:
    """Classification metrics on the test offers; the Bayes ROC AUC when the truth is known."""
    truth = test.get(schema.TRUE_PROBABILITY_COLUMN)
    usable = truth if truth is not None and truth.notna().all() else None
    return TestMetrics.model_validate(classification_metrics(declined(test), probability, usable))


def bag_notes(settings: GlassboxConfig, training_rows: int, all_rows: int) -> list[str]:
    """A note when the row budget cut the outer bags below the configured number."""
    used = bags_for(all_rows, settings)
    if used >= settings.outer_bags:
        return []
    return [
        f"{all_rows:,} rows: {used} outer bags instead of {settings.outer_bags} per fit "
        f"(bag_budget_rows = {settings.bag_budget_rows:,}; {bags_for(training_rows, settings)}"
        " for the evaluated model)"
    ]


def estimator(
    config: TrainConfig, shipped: GlassboxModel, split: Split, evaluation: Evaluation, rows: int
) -> Estimator:
    settings = config.glassbox
    chosen = evaluation.selection
    return Estimator(
        family=FAMILY,
        params=EstimatorParams(
            interactions=settings.interactions,
            outer_bags=bags_for(rows, settings),
            learning_rate=chosen.settings.learning_rate,
            smoothing_rounds=chosen.settings.smoothing_rounds,
            pairs=sum(len(t) == 2 for t in shipped.ebm.term_features_),
        ),
        selection=SelectionRecord(
            cross_fitted_roc_auc=chosen.roc_auc, rows=chosen.rows, chosen=chosen.settings.label
        ),
        calibration=f"platt, fitted on {settings.cross_fit_folds}-fold cross-fitted log-odds",
        calibration_params=CalibrationParams(
            slope=shipped.calibration.slope, intercept=shipped.calibration.intercept
        ),
        baseline=f"{BASELINE}(C={config.baseline.C})",
        evaluated=f"fitted on the {len(split.training):,} training rows; {split.method}",
        shipped=f"refitted on all {rows:,} valid rows after evaluation",
    )


def drivers(model: GlassboxModel) -> dict[str, float]:
    """Mean absolute score of each term on the training rows (InterpretML's public API)."""
    names = [str(n) for n in model.ebm.term_names_]
    return dict(zip(names, map(float, model.ebm.term_importances()), strict=True))


def last_date(offers: pd.DataFrame) -> str | None:
    if schema.DATE_COLUMN not in offers.columns:
        return None
    return f"{offers[schema.DATE_COLUMN].max():%Y-%m-%d}"


def evaluation_frame(
    test: pd.DataFrame, probability: NDArray[np.float64], baseline_p: NDArray[np.float64]
) -> pd.DataFrame:
    """What the report needs to be rebuilt later: outcomes, both scores, protected groups."""
    frame = pd.DataFrame(
        {"declined": declined(test), "probability": probability, "baseline_probability": baseline_p}
    )
    for name in (schema.DATE_COLUMN, *schema.PROTECTED):
        if name in test.columns:
            frame[name] = test[name].to_numpy()
    return frame


def data_summary(offers: pd.DataFrame, features: FeatureSet) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "rows": len(offers),
        "decline_rate": float(declined(offers).mean()),
        "missing_share": {n: float(offers[n].isna().mean()) for n in features.names},
    }
    if schema.DATE_COLUMN in offers.columns:
        dates = offers[schema.DATE_COLUMN]
        summary["date_range"] = f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    return summary


def params(config: TrainConfig, data: Path | str) -> dict[str, Any]:
    """The run's parameters as MLflow shows them."""
    found: dict[str, Any] = {
        "data": safe_source(data),
        "family": FAMILY,
        "seed": config.seed,
        "test_fraction": config.split.test_fraction,
        "baseline_C": config.baseline.C,
    }
    found.update({f"glassbox_{k}": v for k, v in config.glassbox.model_dump().items()})
    return found
