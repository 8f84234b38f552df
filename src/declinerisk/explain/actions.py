"""The recruiter playbook: the sentence for each reason and the action that fits it.

The wording lives in a TOML file a company can edit without code; the default ships in the
package (``declinerisk/playbook.toml``). Loading checks every key and template up front, so a
typo fails at start-up with the file and the key named, never in the middle of scoring.
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from declinerisk.data import schema
from declinerisk.errors import ConfigError
from declinerisk.modeling.bands import LOW

PLACEHOLDERS = frozenset({"label", "value", "typical"})
PAIR_PLACEHOLDERS = frozenset(
    {f"{side}_{name}" for side in ("first", "second") for name in PLACEHOLDERS}
)
REASON_KEYS = frozenset(schema.CORE_SIGNALS + schema.OPTIONAL_SIGNALS)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _checked(sentence: str, allowed: frozenset[str]) -> str:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(sentence) if name}
    except ValueError as exc:
        raise ValueError(f"malformed template {sentence!r}: {exc}") from exc
    unknown = fields - allowed
    if unknown:
        raise ValueError(
            f"unknown placeholders {sorted(unknown)} in {sentence!r}; use {sorted(allowed)}"
        )
    return sentence


class ReasonWording(_Entry):
    sentence: str
    action: str = Field(min_length=1)

    @field_validator("sentence")
    @classmethod
    def _known_placeholders(cls, sentence: str) -> str:
        return _checked(sentence, PLACEHOLDERS)


class Sentence(_Entry):
    """A template for reasons that are not one input with a value: missing, or a pair."""

    sentence: str

    @field_validator("sentence")
    @classmethod
    def _known_placeholders(cls, sentence: str) -> str:
        return _checked(sentence, PLACEHOLDERS | PAIR_PLACEHOLDERS)


class Lever(_Entry):
    """An input a recruiter can change, and what the model estimates after changing it.

    ``to`` is the value after the action (a number, or "typical" for the training median);
    ``applies`` says when the action makes sense: the current value is below or above it.
    """

    action: str = Field(min_length=1)
    to: float | Literal["typical"]
    applies: Literal["below", "above"]


class NoRisk(_Entry):
    action: str = Field(min_length=1)


class Playbook(_Entry):
    default: ReasonWording
    no_risk: NoRisk
    # A reason must raise the probability shown by at least this much (0.01 = 1 point).
    effect_floor: float = Field(0.01, gt=0.0, lt=1.0)
    no_signal: str = Field("No strong risk signal.", min_length=1)
    missing: Sentence = Sentence(sentence="{label} is not recorded; typical is {typical}.")
    pair: Sentence = Sentence(
        sentence="{first_label} is {first_value} and {second_label} is {second_value}, "
        "which together raise risk; typical is {first_typical} and {second_typical}."
    )
    reasons: dict[str, ReasonWording] = Field(default_factory=dict)
    levers: dict[str, Lever] = Field(default_factory=dict)

    @field_validator("reasons")
    @classmethod
    def _known_reason_keys(cls, reasons: dict[str, ReasonWording]) -> dict[str, ReasonWording]:
        unknown = sorted(set(reasons) - REASON_KEYS)
        if unknown:
            raise ValueError(
                f"unknown reason keys {unknown}; known keys: {', '.join(sorted(REASON_KEYS))}"
            )
        return reasons

    @field_validator("levers")
    @classmethod
    def _known_lever_keys(cls, levers: dict[str, Lever]) -> dict[str, Lever]:
        numeric = {c.name for c in schema.COLUMNS if c.is_feature and c.is_numeric}
        unknown = sorted(set(levers) - numeric)
        if unknown:
            raise ValueError(f"levers must be numeric inputs; unknown or not numeric: {unknown}")
        return levers

    def wording(self, column: str) -> ReasonWording:
        return self.reasons.get(column, self.default)

    def action_for(self, column: str | None, band: str) -> str:
        """The action for a candidate in ``band`` whose leading reason is about ``column``.

        Low-risk candidates, and those with no reason (nothing raises their risk by the
        floor), get the no-risk action: nothing to fix, so nothing to push.
        """
        if column is None or band == LOW:
            return self.no_risk.action
        return self.wording(column).action


def load_playbook(path: Path | None = None) -> Playbook:
    """The playbook in ``path``, or the default one shipped with the package."""
    name = str(path) if path else "declinerisk/playbook.toml"
    try:
        if path is None:
            text = (
                resources.files("declinerisk.explain").joinpath("playbook.toml").read_text("utf-8")
            )
        else:
            text = path.read_text(encoding="utf-8")
        return Playbook.model_validate(tomllib.loads(text))
    except FileNotFoundError as exc:
        raise ConfigError(f"playbook file not found: {name}") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{name}: invalid playbook: {exc}") from exc
