"""Batch scoring of open offers from a file, in chunks, with every refused row reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from declinerisk import schema
from declinerisk.artifacts import LoadedModel
from declinerisk.errors import RowProblem
from declinerisk.mapping import ColumnMapping
from declinerisk.sources import iter_table, table_format
from declinerisk.validation import validate_offers

CHUNK_ROWS = 100_000
ERROR_COLUMNS = ["row", "column", "value", "reason"]


@dataclass(frozen=True)
class ScoreReport:
    rows_read: int
    rows_scored: int
    rows_rejected: int
    output: Path
    errors: Path
    riskiest: pd.DataFrame


def errors_path(output: Path) -> Path:
    """Where the refused rows of ``output`` are written: beside it, ``<name>.errors.csv``."""
    return output.with_name(f"{output.stem}.errors.csv")


def score_chunk(
    model: LoadedModel, raw: pd.DataFrame, mapping: ColumnMapping, source: str
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Scored valid rows of one chunk and the problems of the others."""
    validated = validate_offers(
        raw, mapping, source=source, purpose="score", features=model.manifest.feature_set
    )
    valid = validated.valid()
    probability = model.decline_probability(valid)
    scored = pd.DataFrame(
        {
            schema.ID_COLUMN: valid[schema.ID_COLUMN].to_numpy(),
            "decline_probability": probability,
            "risk_band": model.manifest.risk_bands.bands(probability),
            "model_version": model.version,
        },
        index=valid.index,
    )
    return scored, validated.problems


def score_file(
    model: LoadedModel,
    source: Path,
    output: Path,
    mapping: ColumnMapping,
    *,
    chunk_rows: int = CHUNK_ROWS,
    keep_riskiest: int = 10,
    progress: Callable[[int], None] | None = None,
) -> ScoreReport:
    """Score every row of ``source`` into ``output``; refused rows go to the errors file."""
    if table_format(output) != "csv":
        raise ValueError("scored output is written as CSV")
    output.parent.mkdir(parents=True, exist_ok=True)
    errors = errors_path(output)
    read = scored_rows = 0
    rejected: set[int] = set()
    riskiest = pd.DataFrame()
    with output.open("w", newline="") as out, errors.open("w", newline="") as err:
        pd.DataFrame(columns=ERROR_COLUMNS).to_csv(err, index=False)
        for i, chunk in enumerate(iter_table(source, chunk_rows)):
            scored, problems = score_chunk(model, chunk, mapping, str(source))
            scored.to_csv(out, index=False, header=i == 0)
            pd.DataFrame([p.__dict__ for p in problems], columns=ERROR_COLUMNS).to_csv(
                err, index=False, header=False
            )
            read += len(chunk)
            scored_rows += len(scored)
            rejected.update(p.row for p in problems)
            riskiest = pd.concat([riskiest, scored]).nlargest(keep_riskiest, "decline_probability")
            if progress:
                progress(len(chunk))
    return ScoreReport(read, scored_rows, len(rejected), output, errors, riskiest)
