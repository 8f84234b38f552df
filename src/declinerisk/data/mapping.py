"""Column mappings: how an analyst's own export maps onto the offer contract.

A mapping is a TOML file (see ``training/mapping.example.toml``) that renames the export's
columns to contract names, says which of its label values mean accepted or declined,
declares core signals the company does not track, and adds extra feature columns.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from declinerisk.data import schema
from declinerisk.errors import SCORING_HINT, TRAINING_HINT, ConfigError, MissingColumnError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutcomeValues(_Section):
    """Export label values for each outcome, matched without regard to case or spaces."""

    accepted: list[str] = Field(default_factory=lambda: [schema.ACCEPTED])
    declined: list[str] = Field(default_factory=lambda: [schema.DECLINED])

    @model_validator(mode="after")
    def _no_value_means_both(self) -> OutcomeValues:
        both = {v.strip().lower() for v in self.accepted} & {
            v.strip().lower() for v in self.declined
        }
        if both:
            raise ValueError(f"values listed as both accepted and declined: {sorted(both)}")
        return self

    def lookup(self) -> dict[str, str]:
        table = {v.strip().lower(): schema.ACCEPTED for v in self.accepted}
        table.update({v.strip().lower(): schema.DECLINED for v in self.declined})
        return table


class Signals(_Section):
    absent: list[str] = Field(default_factory=list)

    @field_validator("absent")
    @classmethod
    def _only_core_signals(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in schema.CORE_SIGNALS]
        if unknown:
            raise ValueError(
                f"only core signals can be declared absent ({', '.join(schema.CORE_SIGNALS)}); "
                f"got {unknown}"
            )
        return names


class Extra(_Section):
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)


class Formats(_Section):
    date: str | None = Field(
        default=None,
        description="strftime format of offer_date, e.g. '%d/%m/%Y'; ISO 8601 if unset",
    )


class ColumnMapping(_Section):
    """An analyst's mapping. The empty mapping means the export already uses contract names."""

    columns: dict[str, str] = Field(default_factory=dict)
    outcome: OutcomeValues = Field(default_factory=OutcomeValues)
    signals: Signals = Field(default_factory=Signals)
    extra: Extra = Field(default_factory=Extra)
    format: Formats = Field(default_factory=Formats)

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(schema.COLUMNS_BY_NAME))
        if unknown:
            raise ValueError(f"not contract columns: {unknown}")
        sources = list(columns.values())
        repeated = sorted({s for s in sources if sources.count(s) > 1})
        if repeated:
            raise ValueError(f"export columns mapped twice: {repeated}")
        return columns

    @model_validator(mode="after")
    def _extras_are_not_contract_columns(self) -> ColumnMapping:
        for name in [*self.extra.numeric, *self.extra.categorical]:
            if name in schema.COLUMNS_BY_NAME or name in self.columns.values():
                raise ValueError(f"extra column {name!r} is already a contract column")
        return self

    def extra_columns(self) -> list[schema.Column]:
        numeric = [schema.extra_column(n, schema.Kind.NUMBER) for n in self.extra.numeric]
        categorical = [schema.extra_column(n, schema.Kind.CATEGORY) for n in self.extra.categorical]
        return numeric + categorical

    def apply(
        self, raw: pd.DataFrame, source: str, required: Collection[str] | None = None
    ) -> pd.DataFrame:
        """``raw`` with contract column names and contract outcome values.

        Every mapped column must be in ``raw``, or, when ``required`` is given (scoring),
        those mapped to a ``required`` contract column: open offers have no outcome yet.
        """
        missing = [
            f"{src} (mapped to {dst})"
            for dst, src in self.columns.items()
            if src not in raw.columns and (required is None or dst in required)
        ]
        if missing:
            hint = TRAINING_HINT if required is None else SCORING_HINT
            raise MissingColumnError(missing, source, list(map(str, raw.columns)), hint)
        renamed = raw.rename(columns={src: dst for dst, src in self.columns.items()})
        if schema.LABEL_COLUMN in renamed.columns:
            renamed[schema.LABEL_COLUMN] = _translate_outcomes(
                renamed[schema.LABEL_COLUMN], self.outcome.lookup()
            )
        return renamed


def _translate_outcomes(values: pd.Series, lookup: dict[str, str]) -> pd.Series:
    # Unknown labels pass through unchanged, so validation can report them by row.
    normalised = values.astype("string").str.strip().str.lower()
    return normalised.map(lookup).fillna(values.astype("object")).astype("object")


def load_mapping(path: Path | None) -> ColumnMapping:
    """The mapping in ``path``, or the identity mapping when ``path`` is None."""
    if path is None:
        return ColumnMapping()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return ColumnMapping.model_validate(data)
    except FileNotFoundError as exc:
        raise ConfigError(f"mapping file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid mapping: {exc}") from exc
