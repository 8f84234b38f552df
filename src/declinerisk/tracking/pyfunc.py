"""The MLflow pyfunc flavour of a declinerisk model: the full score of every offer.

Each input row gives one output row, in order: probability, band, up to three reasons
(column, value, typical value, effect, sentence), the action, the what-ifs and the model
version, or ``status`` refused with the refusal's reasons. The columns are declared in the
logged signature (:func:`declinerisk.scoring.rows.row_columns`), so ``mlflow.pyfunc.spark_udf``
can return them as a struct and ``mlflow models serve`` answers as the service does.

It wraps the verified model folder rather than re-serialising the model, so MLflow serves
exactly the bytes whose checksum the manifest records, and scores through the same kernel as
the service and the file scorers. Import only where MLflow is wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.scoring.rows import one_row_each, row_columns, score_batch
from declinerisk.scoring.scorer import Scorer

ARTIFACT_KEY = "model_dir"
SOURCE = "request"


class DeclineRiskPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Scores contract-shaped rows; an invalid row is answered as refused, never raised."""

    def load_context(self, context: Any) -> None:
        self._scorer = Scorer(load_model(Path(context.artifacts[ARTIFACT_KEY])))
        self._columns = row_columns(self._scorer)

    # model_input stays unannotated: MLflow reads a type hint there as a request schema.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        offers = pd.DataFrame(model_input).reset_index(drop=True)
        offers.index = pd.RangeIndex(1, len(offers) + 1, name="row")
        batch = score_batch(self._scorer, offers, ColumnMapping(), source=SOURCE, duplicates=True)
        return one_row_each(self._scorer, batch, self._columns)
