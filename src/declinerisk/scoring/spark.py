"""Scoring open offers on Spark: Parquet in, Parquet out, any size, local or on a cluster.

Each Python worker scores Arrow batches with :func:`declinerisk.scoring.rows.score_batch`, the
function the MLflow pyfunc's ``predict`` calls, on the same verified model folder (shipped to
the workers with ``addFile``). That is ``mapInArrow`` rather than ``mlflow.pyfunc.spark_udf``:

* a file's refusals are not one output row per input row: a row may have several problems,
  and a repeated offer id is only known against the whole file, so validation is a pass of
  its own and the scored output drops refused rows;
* the workers read the batches exactly as ``declinerisk score`` reads Parquet (Arrow, then
  ``to_pandas``), so a refused value is quoted the same way; ``spark_udf`` converts columns
  through the signature first;
* a model folder needs no MLflow packaging, and nothing is rebuilt per worker but the kernel.

Rows keep their number in the input (file order; a folder's files in name order) from
Parquet's row index, whatever the partitions. Two passes: validation (every row's typed id and
problems, kept until the repeats are found), then scoring of the rows not refused.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from declinerisk.artifacts.folder import load_model
from declinerisk.artifacts.registry import download_model_folder, is_mlflow_uri
from declinerisk.data import schema
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.refusals import duplicate_id
from declinerisk.data.sources import count_rows, table_format
from declinerisk.errors import SchemaError
from declinerisk.explain.actions import Playbook, load_playbook
from declinerisk.scoring.rows import score_batch, scored_columns
from declinerisk.scoring.scorer import ERROR_COLUMNS, Scorer, ScoreReport, errors_path
from declinerisk.scoring.sinks import arrow_table
from declinerisk.scoring.spark_session import SparkSettings, spark_session

ROW = "row"
# The input's own columns may include "row": the number travels under a name of ours.
_ROW = "__declinerisk_row"
_FILE = "__declinerisk_file"
_INDEX = "__declinerisk_index"
_CHECKED = pa.schema([("row", pa.int64())] + [(name, pa.string()) for name in ERROR_COLUMNS[1:]])
_CHECKED_DDL = ", ".join(
    f"`{f.name}` {'long' if f.type == pa.int64() else 'string'}" for f in _CHECKED
)


@dataclass(frozen=True)
class SparkScoreResult:
    report: ScoreReport
    scorer: Scorer


@dataclass(frozen=True)
class _Job:
    """What every task needs, pickled into it: small, and no live objects."""

    model_dir: str  # the model folder's name among the files shipped with addFile
    playbook: str  # the playbook as JSON
    mapping: ColumnMapping
    source: str
    reasons: bool


def score_with_spark(
    model: str,
    source: Path,
    output: Path,
    mapping: ColumnMapping,
    *,
    playbook: Path | None = None,
    reasons: bool = True,
    settings: SparkSettings | None = None,
    keep_riskiest: int = 10,
) -> SparkScoreResult:
    """Score every row of the Parquet file or folder ``source`` into the Parquet folder
    ``output``; refused rows go to ``<output stem>.errors.csv`` as with ``declinerisk score``,
    Spark's own log to ``<output stem>.spark.log``."""
    settings = settings or SparkSettings()
    if not source.exists():
        raise SchemaError(f"{source}: no such file or folder")
    if source.is_file():
        table_format(source)  # an unknown file type is refused before Spark starts
    if table_format(output) != "parquet":
        raise SchemaError(f"{output}: the Spark engine writes Parquet; name the output .parquet")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="declinerisk-spark-") as tmp:
        folder = _model_folder(model, Path(tmp))
        scorer = Scorer(load_model(folder), load_playbook(playbook))
        # Missing columns stop the run before Spark starts, in the in-process path's words.
        header = pd.DataFrame({c: pd.Series(dtype=object) for c in _column_names(source)})
        scorer.validate(header, mapping, str(source))
        job = _Job(
            folder.name, scorer.writer.playbook.model_dump_json(), mapping, str(source), reasons
        )
        log = output.with_name(f"{output.stem}.spark.log")
        with spark_session(settings, Path(tmp), log) as spark:
            spark.sparkContext.addFile(str(folder), recursive=True)
            report = _run(spark, scorer, job, source, output, keep_riskiest)
    return SparkScoreResult(report, scorer)


def _column_names(source: Path) -> list[str]:
    import pyarrow.dataset as ds

    try:
        return list(ds.dataset(source, format="parquet").schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"{source}: not readable as Parquet ({exc})") from exc


def _model_folder(model: str, workdir: Path) -> Path:
    if is_mlflow_uri(model):
        return download_model_folder(model, workdir / "model")
    return Path(model).resolve()


def _run(
    spark: Any, scorer: Scorer, job: _Job, source: Path, output: Path, keep: int
) -> ScoreReport:
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as sf

    try:
        offers, rows = _numbered(spark, source)
    except AnalysisException as exc:
        raise SchemaError(f"{source}: cannot be read as Parquet ({exc.getMessage()})") from exc
    problems = _problems(spark, offers, job)
    refused = np.unique(problems["row"].to_numpy(dtype=np.int64))
    repeated = spark.sparkContext.broadcast(
        problems.loc[problems["repeat"], "row"].to_numpy(dtype=np.int64)
    )
    columns = [(ROW, "long"), *scored_columns(scorer, reasons=job.reasons)]
    ddl = ", ".join(f"`{name}` {kind}" for name, kind in columns)
    scored = offers.mapInArrow(functools.partial(_score_batches, job, repeated), ddl)
    scored.write.mode("overwrite").parquet(str(output))
    repeated.destroy()
    errors = errors_path(output)
    problems[ERROR_COLUMNS].to_csv(errors, index=False)
    riskiest = (
        spark.read.parquet(str(output))
        .orderBy(sf.desc("decline_probability"), ROW)
        .limit(keep)
        .toArrow()
        .to_pandas()
        .drop(columns=ROW)
    )
    return ScoreReport(rows, rows - len(refused), len(refused), output, errors, riskiest)


def _numbered(spark: Any, source: Path) -> tuple[Any, int]:
    """The offers with their row number (1 = the first row of the first file), and the count."""
    from pyspark.sql import functions as sf

    frame = spark.read.parquet(str(source))
    located = frame.select(
        "*",
        sf.col("_metadata.file_path").alias(_FILE),
        sf.col("_metadata.row_index").alias(_INDEX),
    )
    if source.is_file():  # the count is in the file's footer: no pass over the data
        counts = [("", count_rows(source) or 0)]
    else:
        counts = [(r[_FILE], int(r["count"])) for r in located.groupBy(_FILE).count().collect()]
    offsets, start = [], 0
    for path, count in sorted(counts):
        offsets += [sf.lit(path), sf.lit(start)]
        start += count
    first = sf.create_map(*offsets)[sf.col(_FILE)] if len(counts) > 1 else sf.lit(0)
    numbered = located.select(
        *(sf.col(f"`{c}`") for c in frame.columns),
        (sf.col(_INDEX) + first + 1).alias(_ROW),
    )
    return numbered, start


def _problems(spark: Any, offers: Any, job: _Job) -> pd.DataFrame:
    """Every refused value (row, offer id, column, value, reason; ``repeat`` for a repeated
    id), sorted as the in-process errors file is."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    checked = offers.mapInArrow(functools.partial(_check_batches, job), _CHECKED_DDL).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    try:
        found = checked.filter(sf.col("column").isNotNull()).toArrow().to_pandas()
        ids = checked.filter(sf.col("column").isNull())
        first = sf.min(ROW).over(Window.partitionBy(schema.ID_COLUMN))
        repeats = (
            ids.select(ROW, schema.ID_COLUMN, first.alias("first"))
            .filter(sf.col(ROW) > sf.col("first"))
            .toArrow()
            .to_pandas()
        )
    finally:
        checked.unpersist()
    repeats = repeats.assign(
        column=schema.ID_COLUMN,
        value=repeats[schema.ID_COLUMN],
        reason=[duplicate_id(int(f)) for f in repeats["first"]],
    )
    problems = pd.concat(
        [found.assign(repeat=False), repeats[[*ERROR_COLUMNS]].assign(repeat=True)],
        ignore_index=True,
    )
    return problems.sort_values(["row", "column"], ignore_index=True)


def _frames(batches: Iterator[pa.RecordBatch]) -> Iterator[pd.DataFrame]:
    """Each batch as ``declinerisk score`` reads Parquet, indexed by row number."""
    for batch in batches:
        frame = batch.to_pandas()
        frame.index = pd.Index(frame.pop(_ROW).to_numpy(dtype=np.int64), name="row")
        yield frame


@functools.lru_cache(maxsize=2)
def _worker_scorer(model_dir: str, playbook: str) -> Scorer:
    """One scorer per worker process and model (Spark reuses its Python workers)."""
    from pyspark import SparkFiles

    return Scorer(
        load_model(Path(SparkFiles.get(model_dir))), Playbook.model_validate_json(playbook)
    )


def _check_batches(job: _Job, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Per batch: every row's typed offer id (column empty), then each refused value."""
    scorer = _worker_scorer(job.model_dir, job.playbook)
    for raw in _frames(batches):
        validated = scorer.validate(raw, job.mapping, job.source, duplicates=False)
        ids = validated.frame[schema.ID_COLUMN]
        present = ids[ids.notna()]
        frame = pd.DataFrame(
            {
                "row": np.concatenate(
                    [present.index.to_numpy(), [p.row for p in validated.problems]]
                ).astype(np.int64),
                schema.ID_COLUMN: np.concatenate(
                    [
                        present.to_numpy(dtype=object),
                        [_text(ids.get(p.row)) for p in validated.problems],
                    ]
                ),
                "column": [None] * len(present) + [p.column for p in validated.problems],
                "value": [None] * len(present) + [p.value for p in validated.problems],
                "reason": [None] * len(present) + [p.reason for p in validated.problems],
            }
        )
        yield pa.RecordBatch.from_pandas(frame, schema=_CHECKED, preserve_index=False)


def _score_batches(
    job: _Job, repeated: Any, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Per batch: the scored rows (refused ones left out), with their row numbers."""
    scorer = _worker_scorer(job.model_dir, job.playbook)
    repeats = repeated.value
    target: pa.Schema | None = None
    for raw in _frames(batches):
        refuse = raw.index[np.isin(raw.index.to_numpy(), repeats)]
        batch = score_batch(
            scorer, raw, job.mapping, source=job.source, reasons=job.reasons, refuse=refuse
        )
        scored = batch.scored
        scored.insert(0, ROW, scored.index.to_numpy(dtype=np.int64))
        if target is None:
            target = _arrow_schema(scorer, job.reasons)
        yield from arrow_table(scored, target).to_batches()


def _arrow_schema(scorer: Scorer, reasons: bool) -> pa.Schema:
    types = {"double": pa.float64(), "string": pa.string()}
    return pa.schema(
        [(ROW, pa.int64())]
        + [(name, types[kind]) for name, kind in scored_columns(scorer, reasons=reasons)]
    )


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)
