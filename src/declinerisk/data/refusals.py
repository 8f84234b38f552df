"""The contract's refusal messages, written once.

Files (:mod:`declinerisk.data.validation`) and requests (:mod:`declinerisk.data.records`)
type their values differently (text against JSON), but a value both refuse is refused with
the same words, so the errors file and a 422 name the same problem the same way.
"""

from __future__ import annotations

from declinerisk.data import schema
from declinerisk.data.schema import Column

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
NOT_WHOLE = "must be a whole number"
NOT_YES_NO = "not a yes/no value"
NOT_TEXT = "must be text"
ID_MISSING = f"{schema.ID_COLUMN} is missing"


def out_of_range(column: Column) -> str:
    return f"must be {column.range_text()}"


def not_a_date(date_format: str | None = None) -> str:
    return f"not a date (expected {date_format or 'YYYY-MM-DD'})"


def duplicate_id(first_row: int) -> str:
    """Rows count from 1 in input order: a file's data rows, a request's offers."""
    return f"duplicate {schema.ID_COLUMN} (first seen at row {first_row})"
