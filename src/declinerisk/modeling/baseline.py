"""The baseline every model is compared against: a regularised logistic regression.

One scikit-learn ``Pipeline`` (impute and standardise numbers, one-hot categories, logistic
regression), fitted on the same training rows as the shipped model and scored on the same
test rows, so the report can say what the glassbox adds over a linear model.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from declinerisk.data.features import FeatureSet

BASELINE = "logistic_regression"


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
