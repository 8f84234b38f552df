"""Greenhouse custom fields onto the contract: the operator's mapping and each value's conversion.

Which custom field holds which contract input is the operator's ``[greenhouse]`` table
(``training/greenhouse.example.toml``). A value is converted to the contract column's type and
checked against its range; a problem names the column, never the candidate's value.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from declinerisk.data import schema
from declinerisk.data.schema import Column, Kind, Role
from declinerisk.errors import DeclineRiskError

TEXT_LIMIT = 256
INPUTS = {c.name: c for c in schema.COLUMNS if c.role in (Role.CORE, Role.OPTIONAL)}


class GreenhouseMapping(BaseModel):
    """Contract input -> Greenhouse custom field key, from the ``[greenhouse]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _known_inputs(cls, fields: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(fields) - set(INPUTS))
        if unknown:
            raise ValueError(f"not contract inputs: {unknown}; known: {sorted(INPUTS)}")
        empty = sorted(name for name, key in fields.items() if not key.strip())
        if empty:
            raise ValueError(f"empty custom field keys for {empty}")
        return fields


def load_mapping(path: Path | None) -> GreenhouseMapping:
    """The ``[greenhouse]`` table of a TOML file; no file maps nothing."""
    if path is None:
        return GreenhouseMapping()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return GreenhouseMapping.model_validate(data.get("greenhouse", {}))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise DeclineRiskError(f"Greenhouse mapping {path.name}: {exc}") from exc


def field_value(field: Any) -> Any:
    """A custom field's value: ``{"name", "type", "value"}`` (keyed), or the bare value;
    currency values are ``{"amount", "unit"}``, selects may be ``{"name"}``."""
    value = field.get("value") if isinstance(field, dict) and "value" in field else field
    if isinstance(value, dict):
        for inner in ("amount", "name", "value"):
            if inner in value:
                return value[inner]
    return value


def convert(column: Column, value: Any) -> tuple[Any, str | None]:
    """The value in the contract's type and range, or a problem (never quoting the value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if column.kind is Kind.BOOLEAN:
        return boolean(column, value)
    if column.kind is Kind.CATEGORY:
        text = str(value).strip()
        if isinstance(value, dict | list) or len(text) > TEXT_LIMIT:
            return None, f"{column.name} must be a text of at most {TEXT_LIMIT} characters"
        return text, None
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")):
        return None, f"{column.name} must be a number"
    if column.kind is Kind.INTEGER:
        if not number.is_integer():
            return None, f"{column.name} must be a whole number"
        number = int(number)
    low, high = column.minimum, column.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        return None, f"{column.name} must be {column.range_text()}"
    return number, None


def boolean(column: Column, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "y"):
        return True, None
    if text in ("no", "false", "0", "n"):
        return False, None
    return None, f"{column.name} must be yes or no"
