"""The MLflow pyfunc flavour of a declinerisk model: predictions are decline probabilities.

It wraps the verified model folder rather than re-serialising the model, so MLflow serves
exactly the bytes whose checksum the manifest records, and scores through the same kernel as
the service and the file scorer. Import only where MLflow is wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.scoring.scorer import Scorer

ARTIFACT_KEY = "model_dir"
OUTPUT_COLUMN = "decline_probability"


class DeclineRiskPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Scores contract-shaped rows; invalid rows raise an error naming row and column."""

    def load_context(self, context: Any) -> None:
        self._scorer = Scorer(load_model(Path(context.artifacts[ARTIFACT_KEY])))

    # model_input stays unannotated: MLflow reads a type hint there as a request schema.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        offers = pd.DataFrame(model_input).reset_index(drop=True)
        offers.index = pd.RangeIndex(1, len(offers) + 1, name="row")
        validated = self._scorer.validate(offers, ColumnMapping(), "request")
        validated.raise_if_invalid()
        scored = self._scorer.score(validated.frame, reasons=False)
        return pd.DataFrame({OUTPUT_COLUMN: scored["decline_probability"].to_numpy()})
