"""Score records inserted into SQLite as a few multi-row statements.

The service's recorder shares the server's core with the requests, and SQLite does its work
in that process: a Core ``insert`` bound each of a batch's rows through SQLAlchemy's
per-row parameter machinery, and the driver stepped each row on its own (releasing and
taking back the interpreter lock every time). Here each row is bound once by the column
types' own bind processors (public ``TypeEngine.bind_processor``, so the stored text is what
SQLAlchemy writes: the same JSON serializer, the same datetime text) and up to
:data:`ROWS_PER_STATEMENT` rows go in one ``INSERT ... VALUES (...), (...)``: one step of
the driver for hundreds of rows. Other databases take the Core insert; PostgreSQL does its
work in its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.engine import Connection, Dialect

# Rows per statement, at most: 10 parameters each stays far below SQLite's limit of 32,766
# (3.32+). A batch goes in as statements of 256 rows, then the rest in powers of two (128,
# 64, ... 1): nine statement texts in all, each prepared once and kept by the driver's cache.
# One statement per distinct batch size filled that cache with large prepared statements
# (~80 MB more resident memory after a few minutes of one-offer requests).
ROWS_PER_STATEMENT = 256


class ScoreInsert:
    """Inserts rows (dicts keyed by column name, absent keys as NULL) into ``table``."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        columns = [c for c in table.columns if not c.primary_key]
        self._names = [c.name for c in columns]
        self._every_column = itemgetter(*self._names)
        processors: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]
        self._processors = processors
        # (position, processor, its value repeats): a request's rows share one timestamp
        # object, bound once.
        self._steps = [
            (i, process, isinstance(c.type, DateTime))
            for i, (c, process) in enumerate(zip(columns, processors, strict=True))
            if process is not None
        ]
        head = f"INSERT INTO {table.name} ({', '.join(self._names)}) VALUES "
        row = "(" + ", ".join("?" * len(columns)) + ")"
        self._statements = {
            size: head + ", ".join([row] * size)
            for size in (1 << n for n in range(ROWS_PER_STATEMENT.bit_length()))
        }

    def execute(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        values = self._values(rows)
        width, start, left = len(self._names), 0, len(rows)
        while left:
            size = min(ROWS_PER_STATEMENT, 1 << (left.bit_length() - 1))
            end = start + size * width
            connection.exec_driver_sql(self._statements[size], tuple(values[start:end]))
            start, left = end, left - size

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
            for i, process, repeats in steps:
                value = bound[i]
                if not repeats:
                    bound[i] = process(value)
                    continue
                seen = last.get(i)
                if seen is None or seen[0] is not value:
                    seen = last[i] = (value, process(value))
                bound[i] = seen[1]
            values.extend(bound)
        return values

    def _row_with_absent(self, row: dict[str, Any]) -> list[Any]:
        """An absent key is SQL NULL; a present None goes through its processor, as with
        SQLAlchemy (a JSON column writes it as the text 'null')."""
        return [
            (process(row[name]) if process is not None else row[name]) if name in row else None
            for name, process in zip(self._names, self._processors, strict=True)
        ]
