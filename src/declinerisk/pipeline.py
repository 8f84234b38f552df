"""The candidate model pipelines. Each is one scikit-learn ``Pipeline``: every transformation
from contract-typed columns to a decline probability lives inside it, so serving can never
re-implement (and drift from) what training did.

Steps are named ``prepare`` (a ``ColumnTransformer``) and ``classify`` (the classifier; after
calibration, a ``CalibratedClassifierCV`` around the frozen classifier).

Both families are additive in the decline log-odds, so every prediction splits exactly into one
contribution per input column (see :mod:`declinerisk.explain`):

* logistic regression on centred inputs (every one-hot column is standardised too);
* gradient-boosted trees with no feature interactions (each tree splits on one column: an
  explainable boosting machine), monotone in the columns whose risk direction the contract
  knows. On 50,000 and 200,000 demo rows both constraints cost no test ROC AUC
  (benchmarks/README.md), while they make reasons exact and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from declinerisk.config import TrainConfig
from declinerisk.schema import FeatureSet

LOGISTIC = "logistic_regression"
BOOSTING = "gradient_boosting"
# Histogram gradient boosting needs category codes below its bin count; rarer values
# are pooled as "infrequent".
MAX_TREE_CATEGORIES = 64


@dataclass(frozen=True)
class Candidate:
    """One model family with one set of hyper-parameters."""

    family: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.family}({shown})"

    def build(self, features: FeatureSet, seed: int) -> Pipeline:
        if self.family == LOGISTIC:
            return logistic_pipeline(features, **self.params)
        if self.family == BOOSTING:
            return boosting_pipeline(features, seed=seed, **self.params)
        raise ValueError(f"unknown model family {self.family!r}")


def candidates(config: TrainConfig) -> list[Candidate]:
    """Every candidate the config asks to compare, baseline first."""
    logistic = [Candidate(LOGISTIC, {"C": c}) for c in config.logistic.C]
    b = config.boosting
    boosting = [
        Candidate(
            BOOSTING,
            {
                "learning_rate": lr,
                "max_leaf_nodes": leaves,
                "min_samples_leaf": b.min_samples_leaf,
                "l2_regularization": b.l2_regularization,
                "max_iter": b.max_iter,
            },
        )
        for lr, leaves in product(b.learning_rate, b.max_leaf_nodes)
    ]
    return [c for c in logistic + boosting if c.family in config.selection.families]


def baseline(config: TrainConfig) -> Candidate:
    """The regularised logistic regression every other model is compared against."""
    return Candidate(LOGISTIC, {"C": config.logistic.C[-1]})


def logistic_pipeline(features: FeatureSet, C: float = 1.0) -> Pipeline:  # noqa: N803
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )
    # Standardising the one-hot columns centres every input on its training mean, so a
    # coefficient times an input is that column's contribution relative to a typical offer.
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            (
                "encode",
                OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False),
            ),
            ("scale", StandardScaler()),
        ]
    )
    prepare = ColumnTransformer(
        [
            ("numeric", numeric, features.numeric),
            ("categorical", categorical, features.categorical),
        ],
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )
    return Pipeline(
        [
            ("prepare", prepare),
            ("classify", LogisticRegression(C=C, max_iter=2000)),
        ]
    )


def boosting_pipeline(
    features: FeatureSet,
    *,
    seed: int,
    learning_rate: float = 0.1,
    max_leaf_nodes: int = 8,
    min_samples_leaf: int = 100,
    l2_regularization: float = 1.0,
    max_iter: int = 500,
) -> Pipeline:
    # Unknown categories become missing, which the trees route like any other missing value.
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_TREE_CATEGORIES,
    )
    prepare = ColumnTransformer(
        [
            ("numeric", "passthrough", features.numeric),
            ("categorical", encode, features.categorical),
        ],
        verbose_feature_names_out=False,
    )
    is_categorical = [False] * len(features.numeric) + [True] * len(features.categorical)
    directions = [features[name].risk_direction for name in features.numeric]
    directions += [0] * len(features.categorical)
    classify = HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        min_samples_leaf=min_samples_leaf,
        l2_regularization=l2_regularization,
        max_iter=max_iter,
        categorical_features=np.asarray(is_categorical, dtype=bool),
        interaction_cst="no_interactions",
        monotonic_cst=directions,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        random_state=seed,
    )
    return Pipeline([("prepare", prepare), ("classify", classify)])
