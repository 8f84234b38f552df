"""The MLflow pyfunc flavour of a declinerisk model: predictions are decline probabilities.

It wraps the verified model folder rather than re-serialising the pipeline, so MLflow serves
exactly the bytes whose checksum the manifest records. Import only where MLflow is wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from declinerisk.artifacts import LoadedModel, load_model
from declinerisk.mapping import ColumnMapping
from declinerisk.validation import validate_offers

ARTIFACT_KEY = "model_dir"
OUTPUT_COLUMN = "decline_probability"


class DeclineRiskPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Scores contract-shaped rows; invalid rows raise an error naming row and column."""

    def load_context(self, context: Any) -> None:
        self._model: LoadedModel = load_model(Path(context.artifacts[ARTIFACT_KEY]))

    # model_input stays unannotated: MLflow reads a type hint there as a request schema.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        offers = pd.DataFrame(model_input).reset_index(drop=True)
        offers.index = pd.RangeIndex(1, len(offers) + 1, name="row")
        validated = validate_offers(
            offers,
            ColumnMapping(),
            source="request",
            purpose="score",
            features=self._model.manifest.feature_set,
        )
        validated.raise_if_invalid()
        probability = self._model.decline_probability(validated.frame)
        return pd.DataFrame({OUTPUT_COLUMN: probability})
