"""A Spark session for batch scoring: quiet, sized for the machine, with its files in one place.

Spark (the ``spark`` extra: ``pip install -e '.[spark]'`` in a checkout) and Java 17+ are
needed only here. The JVM's console output (its log, Python workers' stderr) goes to a log
file instead of the terminal: a scoring run prints its own one-line summary, and a failure
names the log.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from declinerisk.errors import DeclineRiskError

DEFAULT_MASTER = "local[2]"
# Rows per Arrow batch handed to a Python worker: large enough that validation and the
# kernel's per-call overhead vanish, small enough that a batch stays a few MB.
BATCH_ROWS = 20_000


class SparkError(DeclineRiskError):
    """Spark is not installed, did not start, or could not read or write a file."""


@dataclass(frozen=True)
class SparkSettings:
    """What a scoring run asks of Spark. ``driver_memory`` applies when this process starts
    the JVM (always, in client mode); executors on a cluster keep the cluster's settings."""

    master: str = DEFAULT_MASTER
    driver_memory: str = "2g"
    shuffle_partitions: int = 8


@contextlib.contextmanager
def spark_session(settings: SparkSettings, workdir: Path, log: Path) -> Iterator[Any]:
    """A started session whose temporary files live under ``workdir``; stopped on exit."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkError(
            "the Spark engine needs pyspark: pip install -e '.[spark]' (and Java 17+)"
        ) from exc
    local = workdir / "spark-local"
    local.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master(settings.master)
        .appName("declinerisk-score")
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={local}")
        .config("spark.local.dir", str(local))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
        # One task per core and one thread per task: local[2] means two busy cores, not two
        # tasks each starting a BLAS or OpenMP pool of its own.
        .config("spark.task.cpus", "1")
        .config("spark.executorEnv.OMP_NUM_THREADS", "1")
        .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
    )
    if settings.master.startswith("local"):
        # Spark otherwise looks up the host's public address and warns when it is loopback.
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    log.parent.mkdir(parents=True, exist_ok=True)
    with _output_to(log), _workers_run(sys.executable), _pandas_3_accepted():
        try:
            spark = builder.getOrCreate()
        except Exception as exc:  # pyspark raises its own runtime errors for a failed start
            raise SparkError(
                f"Spark did not start on {settings.master} (Java 17 or newer must be installed: "
                f"java -version); see {log}"
            ) from exc
    try:
        spark.sparkContext.setLogLevel("WARN")
        with _pandas_3_accepted():
            yield spark
    finally:
        spark.stop()


@contextlib.contextmanager
def _pandas_3_accepted() -> Iterator[None]:
    """pyspark warns at start and on every conversion that it is not yet tested with pandas 3;
    the workers convert with pyarrow themselves, and the tests compare every value."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        yield


@contextlib.contextmanager
def _workers_run(python: str) -> Iterator[None]:
    """Python workers start this interpreter (so they import this installation of
    declinerisk) unless ``PYSPARK_PYTHON`` names another, as a cluster's may; pyspark reads
    only the environment for it, when the context starts."""
    if "PYSPARK_PYTHON" in os.environ:
        yield
        return
    os.environ["PYSPARK_PYTHON"] = python
    try:
        yield
    finally:
        del os.environ["PYSPARK_PYTHON"]


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at ``log`` while the JVM starts, so the JVM and
    the Python workers it forks inherit the log as their console; ours are restored after."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
