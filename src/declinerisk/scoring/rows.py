"""Scoring a batch of offers row by row, with the output's columns declared before any row.

The MLflow pyfunc returns :func:`one_row_each` (every input row, scored or refused, in input
order) and the Spark job writes the scored rows of :func:`score_batch`. Both go through
:meth:`Scorer.validate` and :meth:`Scorer.score`, the same calls as ``declinerisk score``,
so the numbers, words and refusals are the in-process ones.

Rows are scored independently. Repeated offer ids: the pyfunc refuses those within one call
(``duplicates=True``, as a request); the Spark job finds them over the whole file and passes
them as ``refuse``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from declinerisk.data import schema
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.validation import ValidatedOffers
from declinerisk.errors import RowProblem
from declinerisk.scoring.scorer import Scorer

STATUS = "status"
SCORED = "scored"
REFUSED = "refused"
# Why a row was refused: "column: reason" per problem, joined by "; ". Submitted values are
# never echoed (the service's rule too); the errors file of a file scorer has them.
REFUSAL = "refusal"
MODEL_VERSION = "model_version"

Kind = Literal["double", "string"]


@dataclass(frozen=True)
class BatchScores:
    """One batch: every row validated (index = row number), the valid ones scored."""

    validated: ValidatedOffers
    scored: pd.DataFrame

    @property
    def problems(self) -> list[RowProblem]:
        return self.validated.problems


def scored_columns(scorer: Scorer, *, reasons: bool = True) -> list[tuple[str, Kind]]:
    """The columns of :meth:`Scorer.score` in order, typed: read off scoring no offer, so the
    declaration cannot drift from what scoring writes."""
    empty = pd.DataFrame(
        {name: pd.Series(dtype=object) for name in [schema.ID_COLUMN, *scorer.features.names]}
    )
    frame = scorer.score(scorer.validate(empty, ColumnMapping(), "schema").frame, reasons=reasons)
    return [
        (name, "double" if frame[name].dtype.kind == "f" else "string") for name in frame.columns
    ]


def row_columns(scorer: Scorer) -> list[tuple[str, Kind]]:
    """The columns of :func:`one_row_each`: the scored columns with status and refusal after
    the offer id."""
    scored = scored_columns(scorer)
    return [scored[0], (STATUS, "string"), (REFUSAL, "string"), *scored[1:]]


def score_batch(
    scorer: Scorer,
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    source: str,
    reasons: bool = True,
    refuse: Collection[int] = (),
    duplicates: bool = False,
) -> BatchScores:
    """Validate ``raw`` (index = row numbers) and score its valid rows, less ``refuse`` (rows
    the caller refuses for reasons of its own, such as ids repeated across Spark batches).
    With ``duplicates``, ids repeated within ``raw`` are refused here (one pyfunc call is one
    request, as ``POST /v1/scores`` refuses repeats within a request)."""
    validated = scorer.validate(raw, mapping, source, duplicates=duplicates)
    refused = sorted({p.row for p in validated.problems}.union(refuse))
    scored = scorer.score(validated.frame.drop(index=refused), reasons=reasons)
    return BatchScores(validated, scored)


def one_row_each(
    scorer: Scorer, batch: BatchScores, columns: list[tuple[str, Kind]]
) -> pd.DataFrame:
    """Every input row in order: its score, or ``status`` refused with the refusal's reasons
    (score columns empty: NaN numbers, empty text). ``columns`` is :func:`row_columns`
    (computed once per model)."""
    index = batch.validated.frame.index
    out = batch.scored.reindex(index)
    out[schema.ID_COLUMN] = batch.validated.frame[schema.ID_COLUMN]
    refusal = pd.Series(None, index=index, dtype=object)
    said: dict[int, list[str]] = {}
    for p in batch.problems:
        said.setdefault(p.row, []).append(f"{p.column}: {p.reason}")
    if said:
        refusal[list(said)] = ["; ".join(reasons) for reasons in said.values()]
    out[STATUS] = np.where(index.isin(batch.scored.index), SCORED, REFUSED)
    out[REFUSAL] = refusal
    out[MODEL_VERSION] = scorer.version
    # Text is never null but empty: mlflow.pyfunc.spark_udf turns a null text of a struct
    # field into the string "None" (it casts each text column with astype(str)).
    return pd.DataFrame(
        {
            name: pd.Series(out[name].to_numpy(dtype=np.float64))
            if kind == "double"
            else pd.Series(
                out[name].astype(object).where(out[name].notna(), ""), dtype=object
            ).reset_index(drop=True)
            for name, kind in columns
        }
    )
