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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from declinerisk import schema
from declinerisk.bands import LOW
from declinerisk.errors import ConfigError

PLACEHOLDERS = frozenset({"label", "value", "typical"})
REASON_KEYS = frozenset(schema.CORE_SIGNALS + schema.OPTIONAL_SIGNALS)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReasonWording(_Entry):
    sentence: str
    action: str = Field(min_length=1)

    @field_validator("sentence")
    @classmethod
    def _known_placeholders(cls, sentence: str) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(sentence) if name}
        except ValueError as exc:
            raise ValueError(f"malformed template {sentence!r}: {exc}") from exc
        unknown = fields - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholders {sorted(unknown)} in {sentence!r}; "
                f"use {sorted(PLACEHOLDERS)}"
            )
        return sentence


class NoRisk(_Entry):
    action: str = Field(min_length=1)


class Playbook(_Entry):
    default: ReasonWording
    no_risk: NoRisk
    reasons: dict[str, ReasonWording] = Field(default_factory=dict)

    @field_validator("reasons")
    @classmethod
    def _known_reason_keys(cls, reasons: dict[str, ReasonWording]) -> dict[str, ReasonWording]:
        unknown = sorted(set(reasons) - REASON_KEYS)
        if unknown:
            raise ValueError(
                f"unknown reason keys {unknown}; known keys: {', '.join(sorted(REASON_KEYS))}"
            )
        return reasons

    def wording(self, column: str) -> ReasonWording:
        return self.reasons.get(column, self.default)

    def action_for(self, column: str, contribution: float, band: str) -> str:
        """The action for a candidate in ``band`` whose leading reason is ``column``.

        Low-risk candidates, and those whose leading reason does not raise their risk, get
        the no-risk action: nothing to fix, so nothing to push.
        """
        if contribution <= 0.0 or band == LOW:
            return self.no_risk.action
        return self.wording(column).action


def load_playbook(path: Path | None = None) -> Playbook:
    """The playbook in ``path``, or the default one shipped with the package."""
    name = str(path) if path else "declinerisk/playbook.toml"
    try:
        if path is None:
            text = resources.files("declinerisk").joinpath("playbook.toml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return Playbook.model_validate(tomllib.loads(text))
    except FileNotFoundError as exc:
        raise ConfigError(f"playbook file not found: {name}") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{name}: invalid playbook: {exc}") from exc
