"""A board upload: score a CSV or Parquet of open offers exactly as ``declinerisk score`` does,
store the scores, and keep the scored file for download.

The scored file and its refused rows come from :func:`declinerisk.scoring.scorer.score_file`
(the same validation and output as the command); the valid rows then go through
:meth:`Scorer.score_records` (the same kernel) so the store gets the same records as
``POST /v1/scores`` writes.
"""

from __future__ import annotations

import math
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.schema import Kind
from declinerisk.data.sources import iter_table
from declinerisk.scoring.scorer import CHUNK_ROWS, Scorer, errors_path, score_file
from declinerisk.store.database import Store
from declinerisk.store.recorder import score_rows

KEEP_SECONDS = 24 * 3600
SCORED = "scored.csv"


@dataclass(frozen=True)
class Refused:
    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class UploadResult:
    token: str
    rows_read: int
    rows_scored: int
    refused: list[Refused]


def new_folder(uploads: Path) -> tuple[str, Path]:
    """A fresh folder for one upload (opaque token); uploads older than a day are removed."""
    uploads.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in uploads.iterdir():
        if old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
    token = uuid.uuid4().hex
    folder = uploads / token
    folder.mkdir()
    return token, folder


def scored_file(uploads: Path, token: str) -> Path | None:
    """The scored file of an upload, when the token names one (hex only: no path tricks)."""
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return None
    path = uploads / token / SCORED
    return path if path.is_file() else None


def score_upload(scorer: Scorer, store: Store, source: Path, token: str) -> UploadResult:
    """Score ``source`` into its folder's ``scored.csv``, store the scores, list refused rows."""
    mapping = ColumnMapping()
    report = score_file(scorer, source, source.with_name(SCORED), mapping)
    refused = _refused(errors_path(report.output))
    bad = {r.row for r in refused}
    records: list[dict[str, Any]] = []
    for chunk in iter_table(source, CHUNK_ROWS):
        frame = scorer.validate(chunk, mapping, source.name).frame
        valid = frame.loc[[row for row in frame.index if row not in bad]]
        records += _records(valid, scorer.features)
    scored = scorer.score_records(records)
    store.add_scores(score_rows(f"board-{token}", records, scored, datetime.now(UTC)))
    # Only the scored file is kept: the upload and the errors file (which holds the refused
    # values) are removed as soon as they are read.
    source.unlink()
    report.errors.unlink()
    return UploadResult(token, report.rows_read, report.rows_scored, refused)


def _refused(errors: Path) -> list[Refused]:
    """Row, column and reason of each refused row; the submitted value is never kept."""
    frame = pd.read_csv(errors, dtype=str, keep_default_na=False)
    return [
        Refused(int(row), column, reason)
        for row, column, reason in zip(frame["row"], frame["column"], frame["reason"], strict=True)
    ]


def _records(frame: pd.DataFrame, features: FeatureSet) -> list[dict[str, Any]]:
    """Validated rows as the plain records the API stores: contract types, None for missing."""
    kinds = {c.name: c.kind for c in features.columns}
    names = [schema.ID_COLUMN, *([schema.DATE_COLUMN] if schema.DATE_COLUMN in frame else [])]
    names += list(features.names)
    return [
        {name: _plain(value, kinds.get(name)) for name, value in zip(names, row, strict=True)}
        for row in frame[names].itertuples(index=False, name=None)
    ]


def _plain(value: Any, kind: Kind | None) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if kind is Kind.BOOLEAN:
        return bool(value)
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.NUMBER:
        return float(value)
    return value if isinstance(value, str) else str(value)
