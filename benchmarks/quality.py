"""Accuracy of declinerisk against strong defaults, on the same time-ordered split.

Settings: demo data at 10,000, 50,000 and 100,000 rows, and the harder demo setting
(``demo_offers(hard=True)``: a quarter of optional signals blank, three more interactions, an
unobserved trait) at 10,000 and 100,000 rows. Each setting is validated through the contract
and split as training does (the latest 20% by offer_date are the test set). Models:

* declinerisk: the training recipe itself (``declinerisk.train.evaluate``: cross-fitted Platt
  calibration of a monotone EBM fitted on the training part);
* InterpretML ``ExplainableBoostingClassifier`` defaults (the named baseline);
* LightGBM and scikit-learn ``HistGradientBoostingClassifier`` defaults (categories as pandas
  categoricals).

Printed per setting: test ROC AUC, PR AUC, expected calibration error and fit seconds, the
difference to EBM defaults and, on demo data, to the Bayes AUC (from the true probability).
Targets (model-core issue): ROC AUC >= EBM - 0.002 and PR AUC >= EBM - 0.005 everywhere;
at 50,000 demo rows ROC AUC >= Bayes - 0.005 and ECE <= 0.02.

Usage: ``OMP_NUM_THREADS=2 python benchmarks/quality.py [--settings demo-10k ...]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from interpret.glassbox import ExplainableBoostingClassifier
from lightgbm import LGBMClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.split import Split, declined, split_offers
from declinerisk.data.synthetic import demo_offers
from declinerisk.data.validation import validate_offers
from declinerisk.modeling.evaluate import expected_calibration_error
from declinerisk.modeling.recipe import evaluate
from declinerisk.train.config import TrainConfig
from declinerisk.train.progress import Reporter

SETTINGS = {
    "demo-10k": (10_000, False),
    "demo-50k": (50_000, False),
    "demo-100k": (100_000, False),
    "hard-10k": (10_000, True),
    "hard-100k": (100_000, True),
}
Fit = Callable[[Split, FeatureSet, TrainConfig], np.ndarray]


def _categorical(frame: pd.DataFrame, features: FeatureSet) -> pd.DataFrame:
    return frame[features.names].astype({name: "category" for name in features.categorical})


def declinerisk(split: Split, features: FeatureSet, config: TrainConfig) -> np.ndarray:
    return evaluate(config, features, split, Reporter("evaluate")).test_p


def ebm(split: Split, features: FeatureSet, config: TrainConfig) -> np.ndarray:
    model = ExplainableBoostingClassifier(n_jobs=-1, random_state=config.seed)
    model.fit(split.training[features.names], declined(split.training))
    return model.predict_proba(split.test[features.names])[:, 1]


def lightgbm(split: Split, features: FeatureSet, config: TrainConfig) -> np.ndarray:
    model = LGBMClassifier(verbose=-1, random_state=config.seed)
    model.fit(_categorical(split.training, features), declined(split.training))
    return model.predict_proba(_categorical(split.test, features))[:, 1]


def hgb(split: Split, features: FeatureSet, config: TrainConfig) -> np.ndarray:
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=config.seed
    )
    model.fit(_categorical(split.training, features), declined(split.training))
    return model.predict_proba(_categorical(split.test, features))[:, 1]


MODELS: dict[str, Fit] = {
    "EBM defaults": ebm,
    "declinerisk": declinerisk,
    "LightGBM defaults": lightgbm,
    "HistGradientBoosting defaults": hgb,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    config = TrainConfig()
    print(
        "| setting | model | ROC AUC | PR AUC | ECE | fit s | ROC vs EBM | PR vs EBM | vs Bayes |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.settings:
        rows, hard = SETTINGS[name]
        raw = demo_offers(rows, args.seed, hard=hard)
        validated = validate_offers(raw, ColumnMapping(), source=name, purpose="train")
        split = split_offers(validated.frame, config.split, config.seed)
        features = validated.features
        y_test = declined(split.test)
        bayes = float(roc_auc_score(y_test, split.test["true_decline_probability"]))
        results: dict[str, tuple[float, float, float, float]] = {}
        for label, fit in MODELS.items():
            start = time.perf_counter()
            p = fit(split, features, config)
            seconds = time.perf_counter() - start
            results[label] = (
                float(roc_auc_score(y_test, p)),
                float(average_precision_score(y_test, p)),
                expected_calibration_error(y_test, p),
                seconds,
            )
        ebm_roc, ebm_pr = results["EBM defaults"][:2]
        for label, (roc, pr, ece, seconds) in results.items():
            vs_bayes = f"{roc - bayes:+.4f}" if not hard else f"(Bayes* {bayes:.4f})"
            print(
                f"| {name} | {label} | {roc:.4f} | {pr:.4f} | {ece:.4f} | {seconds:.1f} | "
                f"{roc - ebm_roc:+.4f} | {pr - ebm_pr:+.4f} | {vs_bayes} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
