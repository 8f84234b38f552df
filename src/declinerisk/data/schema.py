"""The offer data contract: every column declinerisk knows, its type, valid range and meaning.

This is the only module that spells out column names. Training, batch scoring and the
service validate through it (see :mod:`declinerisk.data.validation`), and a trained model's
manifest records the :class:`FeatureSet` it was fitted on, so a model is never fed
columns it did not learn from.

One row is one offer. Past offers carry an ``outcome``; open offers do not.

Time-varying signals (``days_in_process``, ``contacts_per_week``, ``days_since_last_contact``,
``interview_experience``, ``counteroffer_expected``) are *as known at scoring time*: in past
offers too they must hold what was known before the decision, as an open offer's do when it is
scored. An end-of-process value (contact stopped because the candidate declined) would teach
the model the outcome. The store's training frame takes each offer's last score before its
decision for this reason (:meth:`declinerisk.store.database.Store.training_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1

ACCEPTED = "accepted"
DECLINED = "declined"
OUTCOMES = (ACCEPTED, DECLINED)


class Kind(StrEnum):
    """How a column's values are parsed and checked."""

    ID = "id"
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CATEGORY = "category"
    LABEL = "label"
    TEXT = "text"


class Role(StrEnum):
    """What a column is for. Only core, optional and extra columns are model inputs."""

    IDENTITY = "identity"
    CORE = "core"
    OPTIONAL = "optional"
    EXTRA = "extra"
    LABEL = "label"
    INFO = "info"
    PROTECTED = "protected"


FEATURE_ROLES = frozenset({Role.CORE, Role.OPTIONAL, Role.EXTRA})
NUMERIC_KINDS = frozenset({Kind.NUMBER, Kind.INTEGER, Kind.BOOLEAN})


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    kind: Kind
    role: Role
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    examples: tuple[str, ...] = field(default=())
    # +1: a higher value never lowers decline risk; -1: never raises it; 0: no known direction.
    # Tree models are constrained to it (measured free of accuracy cost on demo data).
    risk_direction: int = 0

    @property
    def is_feature(self) -> bool:
        return self.role in FEATURE_ROLES

    @property
    def label(self) -> str:
        """The column's name as words, for sentences."""
        return self.name.replace("_", " ")

    @property
    def is_numeric(self) -> bool:
        """Booleans count as numeric: they enter models as 0/1 with missing kept missing."""
        return self.kind in NUMERIC_KINDS

    def range_text(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"between {self.minimum:g} and {self.maximum:g}"
        if self.minimum is not None:
            return f">= {self.minimum:g}"
        if self.maximum is not None:
            return f"<= {self.maximum:g}"
        return "any value"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "role": self.role.value,
            "meaning": self.meaning,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "unit": self.unit,
            "risk_direction": self.risk_direction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Column:
        return cls(
            name=str(data["name"]),
            kind=Kind(data["kind"]),
            role=Role(data["role"]),
            meaning=str(data.get("meaning", "")),
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
            unit=str(data.get("unit", "")),
            risk_direction=int(data.get("risk_direction", 0)),
        )


COLUMNS: tuple[Column, ...] = (
    Column("offer_id", Kind.ID, Role.IDENTITY, "Unique identifier of the offer."),
    Column("offer_date", Kind.DATE, Role.IDENTITY, "Date the offer was extended (ISO 8601)."),
    # The four core signals.
    Column(
        "days_in_process",
        Kind.NUMBER,
        Role.CORE,
        "Days from first contact to the offer, as known at scoring time.",
        0,
        730,
        "days",
    ),
    Column(
        "contacts_per_week",
        Kind.NUMBER,
        Role.CORE,
        "Recruiter touches per week during the process, as known at scoring time.",
        0,
        50,
        "per week",
    ),
    Column(
        "comp_delta_pct",
        Kind.NUMBER,
        Role.CORE,
        "Offered pay minus the candidate's expectation, as % of the expectation; "
        "negative means below their ask.",
        -100,
        300,
        "%",
        risk_direction=-1,
    ),
    Column(
        "competing_offers",
        Kind.INTEGER,
        Role.CORE,
        "Number of other offers the candidate holds or expects.",
        0,
        20,
        "offers",
        risk_direction=1,
    ),
    # Optional signals, used when the export has them.
    Column(
        "days_since_last_contact",
        Kind.NUMBER,
        Role.OPTIONAL,
        "Days since the recruiter last spoke to the candidate, as known at scoring time.",
        0,
        365,
        "days",
    ),
    Column(
        "counteroffer_expected",
        Kind.BOOLEAN,
        Role.OPTIONAL,
        "The current employer is likely to counter with a raise or promotion, as known at "
        "scoring time.",
        risk_direction=1,
    ),
    Column(
        "interview_experience",
        Kind.INTEGER,
        Role.OPTIONAL,
        "The candidate's rating of the interview process, 1 (poor) to 5 (excellent), as known "
        "at scoring time.",
        1,
        5,
        "out of 5",
    ),
    Column(
        "role_level",
        Kind.CATEGORY,
        Role.OPTIONAL,
        "Seniority of the role.",
        examples=("junior", "mid", "senior", "lead", "executive"),
    ),
    Column(
        "department",
        Kind.CATEGORY,
        Role.OPTIONAL,
        "Hiring department.",
        examples=("engineering", "sales", "operations", "finance", "marketing"),
    ),
    Column(
        "source",
        Kind.CATEGORY,
        Role.OPTIONAL,
        "Where the candidate came from.",
        examples=("referral", "agency", "inbound", "sourced"),
    ),
    Column(
        "requires_relocation",
        Kind.BOOLEAN,
        Role.OPTIONAL,
        "Accepting means moving home.",
    ),
    Column(
        "notice_period_days",
        Kind.NUMBER,
        Role.OPTIONAL,
        "Notice the candidate must serve at their current employer.",
        0,
        365,
        "days",
    ),
    # The label and what travels with it; never features.
    Column("outcome", Kind.LABEL, Role.LABEL, "What the candidate did: accepted or declined."),
    Column(
        "decline_reason",
        Kind.TEXT,
        Role.INFO,
        "Reason the candidate gave for declining, if any. Never a model input.",
    ),
    Column(
        "true_decline_probability",
        Kind.NUMBER,
        Role.INFO,
        "Demo data only: the probability the outcome was drawn with. Never a model input.",
        0,
        1,
    ),
    # Protected attributes: kept aside for fairness audits, never model inputs.
    Column("gender", Kind.CATEGORY, Role.PROTECTED, "Candidate gender, for fairness audits."),
    Column("age", Kind.NUMBER, Role.PROTECTED, "Candidate age in years, for audits.", 14, 100),
    Column("age_band", Kind.CATEGORY, Role.PROTECTED, "Candidate age band, for audits."),
    Column(
        "race_ethnicity",
        Kind.CATEGORY,
        Role.PROTECTED,
        "Candidate race/ethnicity, for audits.",
    ),
)

COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
CORE_SIGNALS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role is Role.CORE)
OPTIONAL_SIGNALS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role is Role.OPTIONAL)
PROTECTED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role is Role.PROTECTED)
ID_COLUMN = "offer_id"
DATE_COLUMN = "offer_date"
LABEL_COLUMN = "outcome"
TRUE_PROBABILITY_COLUMN = "true_decline_probability"


def column(name: str) -> Column:
    """The contract's column called ``name``; KeyError for names it does not know."""
    return COLUMNS_BY_NAME[name]


def extra_column(name: str, kind: Kind) -> Column:
    """A feature column an analyst adds through a mapping, outside the built-in contract."""
    if name in COLUMNS_BY_NAME:
        raise ValueError(f"extra column {name!r} clashes with the contract's own column")
    if kind not in (Kind.NUMBER, Kind.CATEGORY):
        raise ValueError(f"extra column {name!r} must be numeric or categorical, not {kind}")
    return Column(name, kind, Role.EXTRA, "Extra column added by the analyst's mapping.")
