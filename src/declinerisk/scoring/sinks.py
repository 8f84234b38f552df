"""Streaming scored chunks into one CSV or Parquet file with pyarrow's writers.

The schema is fixed by the first chunk, text columns as strings, so a later chunk whose
optional column happens to be all empty still writes under the same header and types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from declinerisk.data.sources import table_format


class Sink(Protocol):
    def write(self, frame: pd.DataFrame) -> None: ...

    def close(self) -> None: ...


def open_sink(path: Path) -> Sink:
    """A writer for ``path``, CSV or Parquet by its name."""
    return _CsvSink(path) if table_format(path) == "csv" else _ParquetSink(path)


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """Floats as float64, everything else as text: the scored file's column types."""
    return pa.schema(
        [
            pa.field(name, pa.float64() if frame[name].dtype.kind == "f" else pa.string())
            for name in frame.columns
        ]
    )


def arrow_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` under ``schema``, column by column (pyarrow's writer is several times faster
    than pandas'); categorical text is decoded by Arrow from its codes, not row by row."""
    return pa.Table.from_arrays([_arrow(frame[f.name], f.type) for f in schema], schema=schema)


def _arrow(column: pd.Series, kind: pa.DataType) -> pa.Array:
    """One column as Arrow: categorical text is decoded by Arrow from its codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        words = pa.array(column.cat.categories.to_numpy(dtype=object), type=pa.string())
        coded = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), words)
        return coded.cast(kind)
    return pa.array(
        column.to_numpy(dtype=object if kind == pa.string() else None), type=kind, from_pandas=True
    )


class _ArrowSink:
    """One Arrow writer (CSV or Parquet) opened on the first chunk, whose schema it keeps."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def _open(self, schema: pa.Schema) -> pacsv.CSVWriter | pq.ParquetWriter:
        raise NotImplementedError

    def _write_empty(self) -> None:
        raise NotImplementedError

    def write(self, frame: pd.DataFrame) -> None:
        if self._schema is None:
            self._schema = arrow_schema(frame)
            self._writer = self._open(self._schema)
        assert self._writer is not None
        self._writer.write_table(arrow_table(frame, self._schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        else:
            self._write_empty()


class _CsvSink(_ArrowSink):
    def _open(self, schema: pa.Schema) -> pacsv.CSVWriter:
        return pacsv.CSVWriter(str(self._path), schema)

    def _write_empty(self) -> None:
        self._path.write_text("")


class _ParquetSink(_ArrowSink):
    def _open(self, schema: pa.Schema) -> pq.ParquetWriter:
        return pq.ParquetWriter(str(self._path), schema)

    def _write_empty(self) -> None:
        # No chunk at all (an empty input): still a readable, empty Parquet file.
        pq.write_table(pa.table({}), str(self._path))
