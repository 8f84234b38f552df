"""Score records inserted into SQLite as a few multi-row statements.

The service's recorder shares the server's core with the requests, and SQLite does its work
in that process: a Core ``insert`` bound each of a batch's rows through SQLAlchemy's
per-row parameter machinery, and the driver stepped each row on its own (releasing and
taking back the interpreter lock every time). Here each row is bound once by the column
types' own bind processors (public ``TypeEngine.bind_processor``, so the stored text is what
SQLAlchemy writes: the same JSON serializer, the same datetime text; a JSON column's list or
dict goes to the engine's serializer without the processor around it, once sample values
show the two write the same) and up to
:data:`ROWS_PER_STATEMENT` rows go in one ``INSERT ... VALUES (...), (...)``: one step of
the driver for hundreds of rows. Other databases take the Core insert
(:func:`insert_by_columns`); PostgreSQL does its work in its own process.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import JSON, DateTime, Table, insert
from sqlalchemy.engine import Connection, Dialect

# Rows per statement, at most (a power of two). A batch goes in as statements of that many
# rows, then the rest in powers of two (128, 64, ... 1): nine statement texts in all, each
# prepared once and kept by the driver's cache. One statement per distinct batch size filled
# that cache with large prepared statements (+101 MB resident after 128,000 one-offer
# requests, against +21 MB with the Core insert; +24 MB now).
ROWS_PER_STATEMENT = 256


class ScoreInsert:
    """Inserts rows (dicts keyed by column name, absent keys as NULL) into ``table``."""

    def __init__(
        self, table: Table, dialect: Dialect, json_text: Callable[[Any], str] | None = None
    ) -> None:
        """``json_text``: the engine's JSON serializer, called directly for a list or dict in
        a JSON column when it writes what the column's processor writes on sample values
        (:data:`_PROBES`); otherwise, or when a sample fails, the processor binds them."""
        columns = [c for c in table.columns if not c.primary_key]
        self._names = [c.name for c in columns]
        self._every_column = itemgetter(*self._names)
        processors: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]
        self._processors = processors
        # (position, processor, its value repeats, serializer for a list or dict): a request's
        # rows share one timestamp object, bound once; a JSON column's list or dict goes
        # straight to the serializer (SQLAlchemy's processor around it cost a third of the
        # binding).
        self._steps = [
            (i, process, isinstance(c.type, DateTime), _direct(c, process, json_text))
            for i, (c, process) in enumerate(zip(columns, processors, strict=True))
            if process is not None
        ]
        quote = dialect.identifier_preparer
        names = ", ".join(quote.quote(name) for name in self._names)
        self._head = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES "
        self._row = "(" + ", ".join("?" * len(columns)) + ")"
        self._statements: dict[int, str] = {}

    @property
    def direct_json_columns(self) -> list[str]:
        """The JSON columns whose lists and dicts the serializer writes without the processor."""
        return [self._names[i] for i, _, _, direct in self._steps if direct is not None]

    def execute(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        values = self._values(rows)
        width, start, left = len(self._names), 0, len(rows)
        most = self._most_rows(connection)
        while left:
            size = min(most, 1 << (left.bit_length() - 1))
            end = start + size * width
            connection.exec_driver_sql(self._statement(size), tuple(values[start:end]))
            start, left = end, left - size

    def _most_rows(self, connection: Connection) -> int:
        """:data:`ROWS_PER_STATEMENT`, or the largest power of two whose parameters this
        SQLite allows (999 before 3.32, 32,766 after; builds may set their own)."""
        driver = connection.connection.dbapi_connection
        limit = (
            driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            if isinstance(driver, sqlite3.Connection)
            else 999
        )
        rows = max(1, min(ROWS_PER_STATEMENT, limit // len(self._names)))
        return 1 << (rows.bit_length() - 1)

    def _statement(self, rows: int) -> str:
        sql = self._statements.get(rows)
        if sql is None:
            sql = self._statements[rows] = self._head + ", ".join([self._row] * rows)
        return sql

    def _values(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Every row's bound values, flattened in column order."""
        values: list[Any] = []
        every_column, steps = self._every_column, self._steps
        last: dict[int, tuple[Any, Any]] = {}  # position -> (value, bound) of a repeating one
        for row in rows:
            try:
                bound = list(every_column(row))
            except KeyError:  # a row spooled before a column existed
                values.extend(self._row_with_absent(row))
                continue
            for i, process, repeats, direct in steps:
                value = bound[i]
                if repeats:
                    seen = last.get(i)
                    if seen is None or seen[0] is not value:
                        seen = last[i] = (value, process(value))
                    bound[i] = seen[1]
                elif direct is not None and value.__class__ in _CONTAINERS:
                    bound[i] = direct(value)
                else:
                    bound[i] = process(value)
            values.extend(bound)
        return values

    def _row_with_absent(self, row: dict[str, Any]) -> list[Any]:
        """An absent key is SQL NULL; a present None goes through its processor, as with
        SQLAlchemy (a JSON column writes it as the text 'null')."""
        return [
            (process(row[name]) if process is not None else row[name]) if name in row else None
            for name, process in zip(self._names, self._processors, strict=True)
        ]


_CONTAINERS = (list, dict)
# Values a score's JSON columns hold, and the ways serializers differ on them (key order,
# exponents, non-ASCII, NumPy numbers, non-text keys): the serializer must write each as the
# processor does.
_PROBES: tuple[Any, ...] = (
    [],
    {},
    [{"b": 0.1, "a": [1, None, "é\u2028"]}],
    {"y": -0.0, "x": 1e300, "w": 1e-7, "v": 123456789.0},
    {3: "int key", "z": np.float64(0.5), "n": np.int64(7)},
)


def _direct(
    column: Any, process: Callable[[Any], Any], json_text: Callable[[Any], str] | None
) -> Callable[[Any], str] | None:
    """``json_text`` for a JSON column whose processor it reproduces on the probes; None
    (the processor for every value) otherwise."""
    if json_text is None or not isinstance(column.type, JSON):
        return None
    try:
        same = all(json_text(probe) == process(probe) for probe in _PROBES)
    except (TypeError, ValueError):  # one of them cannot write a sample: not the same
        return None
    return json_text if same else None


def insert_by_columns(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Core's insert of ``rows`` (their keys that are ``table``'s columns), in order.

    Absent keys stay absent (SQL NULL for a row spooled before a column existed), so each run
    of rows with the same columns is one executemany: it binds every row as its first. A
    Core insert of the table, not the ORM's: half the cost per row (nothing is read back)."""
    columns = {c.name for c in table.columns}
    records = [{k: v for k, v in row.items() if k in columns} for row in rows]
    for _, run in itertools.groupby(records, key=lambda record: tuple(sorted(record))):
        connection.execute(insert(table), list(run))
