"""Reading offer exports from CSV or Parquet files, untyped, with rows numbered from 1."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from declinerisk.errors import SchemaError

CSV_SUFFIXES = frozenset({".csv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


def table_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"``, from the file name."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise SchemaError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")


def read_table(path: Path) -> pd.DataFrame:
    """Every row of ``path``, indexed by row number (1 = first data row).

    CSV cells are read as text so that validation can quote a bad value exactly as the
    file spells it (empty cells and the usual markers such as ``NA`` are missing);
    Parquet keeps its own types.
    """
    _must_exist(path)
    try:
        if table_format(path) == "csv":
            frame = pd.read_csv(path, dtype=str)
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError(f"{path}: {EMPTY}") from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise SchemaError(f"{path}: cannot be read: {exc}") from exc
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame


def _must_exist(path: Path) -> None:
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "no such file"
        raise SchemaError(f"{path}: {what}")


EMPTY = "the file is empty: expected a header row naming the offer columns"


def iter_table(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """``path`` in chunks of at most ``chunk_rows`` rows, keeping row numbers across chunks."""
    start = 1
    _must_exist(path)
    if table_format(path) == "csv":
        try:
            chunks: Iterator[pd.DataFrame] = pd.read_csv(path, dtype=str, chunksize=chunk_rows)
        except pd.errors.EmptyDataError as exc:
            raise SchemaError(f"{path}: {EMPTY}") from exc
    else:
        chunks = _parquet_chunks(path, chunk_rows)
    for chunk in chunks:
        chunk.index = pd.RangeIndex(start, start + len(chunk), name="row")
        start += len(chunk)
        yield chunk


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()


def is_database_url(source: str | Path) -> bool:
    return "://" in str(source)


def safe_source(source: str | Path) -> str:
    """How to name ``source`` in messages and manifests: database URLs lose their password."""
    if not is_database_url(source):
        return str(source)
    from sqlalchemy.engine import make_url

    return make_url(str(source)).render_as_string(hide_password=True)


def read_offers(source: str | Path) -> tuple[pd.DataFrame, str]:
    """Past offers from a file or from the service's store (a database URL), and their SHA-256.

    The store gives the last inputs scored for each offer joined with its recorded outcome.
    """
    if not is_database_url(source):
        path = Path(source)
        return read_table(path), file_sha256(path) if path.is_file() else ""
    from declinerisk.store.database import opened_store

    with opened_store(str(source)) as store:
        frame = store.training_frame()
        return frame, store.fingerprint(frame)


def count_rows(path: Path) -> int | None:
    """Data rows in ``path`` when known without reading it (Parquet metadata), else None.

    A missing file or folder is refused here already (a :class:`SchemaError`)."""
    _must_exist(path)
    if table_format(path) != "parquet":
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"{path}: not a readable Parquet file ({exc})") from exc


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, the fingerprint a manifest records for its data."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet, by the file name, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if table_format(path) == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
