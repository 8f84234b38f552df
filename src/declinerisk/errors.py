"""The library's own exceptions. Callers (CLI, service) map them to exit codes and statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DeclineRiskError(Exception):
    """Base of every error declinerisk raises on purpose."""


class ConfigError(DeclineRiskError):
    """A training config, mapping or playbook file is malformed."""


class SchemaError(DeclineRiskError):
    """Input data does not follow the offer contract."""


TRAINING_HINT = (
    "If your export names it differently, map it in a mapping file; if your company "
    "does not track a core signal, declare it absent there ([signals] absent = [...])."
)
SCORING_HINT = (
    "If your export names it differently, map it in a mapping file (--mapping). The model "
    "was trained with it, so it cannot score without it; a model trained on data without "
    "it (declared absent in the training mapping) can."
)


class MissingColumnError(SchemaError):
    """A required column is absent from an input file."""

    def __init__(
        self,
        columns: Sequence[str],
        source: str,
        found: Sequence[str],
        hint: str = TRAINING_HINT,
    ) -> None:
        self.columns = list(columns)
        self.source = source
        names = ", ".join(repr(c) for c in self.columns)
        plural = "columns" if len(self.columns) > 1 else "column"
        shown = ", ".join(found[:30]) + (f" and {len(found) - 30} more" if len(found) > 30 else "")
        super().__init__(
            f"{source}: required {plural} {names} missing. "
            f"Columns found: {shown or '(none)'}. {hint}"
        )


@dataclass(frozen=True)
class RowProblem:
    """One invalid value: where it is, what it is, and why it was refused."""

    row: int
    column: str
    value: str
    reason: str

    def describe(self, source: str) -> str:
        # In a CSV the header is line 1, so data row N sits on line N + 1.
        line = f" (line {self.row + 1})" if source.lower().endswith(".csv") else ""
        return (
            f"{source}: row {self.row}{line}, column {self.column!r}, value {self.value!r}: "
            f"{self.reason}"
        )


class InvalidRowsError(SchemaError):
    """Rows with invalid values were found and the caller did not ask to drop them."""

    SHOWN = 20

    def __init__(self, problems: Sequence[RowProblem], source: str, invalid_rows: int) -> None:
        self.problems = list(problems)
        self.source = source
        self.invalid_rows = invalid_rows
        lines = [p.describe(source) for p in self.problems[: self.SHOWN]]
        more = len(self.problems) - len(lines)
        if more:
            lines.append(f"... and {more} more problems")
        super().__init__(
            f"{source}: {invalid_rows} invalid rows ({len(self.problems)} problems); "
            "row numbers count data rows from 1 (the header is not a row).\n"
            + "\n".join(lines)
            + "\nFix them, or pass --drop-invalid to train without these rows."
        )


class ModelLoadError(DeclineRiskError):
    """A model folder cannot be loaded."""


class ChecksumMismatchError(ModelLoadError):
    """The model file's SHA-256 differs from the one its manifest recorded."""


class CanaryMismatchError(ModelLoadError):
    """The serving path does not reproduce the probabilities stored with the model."""


class IncompatibleModelError(ModelLoadError):
    """The model was written for another contract or library version than this one."""


class ModelNotLoadedError(DeclineRiskError):
    """Scoring was asked for before any model was loaded."""
