"""Request and response models. The offer model is built from the contract, field by field,
so the documented schema names what the library validates: same names, types and ranges.

Offers are documented by :data:`OfferIn` but validated by the contract
(:func:`declinerisk.data.records.validate_records`, what the file scorer's checks say in the
same words), so a request's every problem is reported at once and never in pydantic's words.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, Strict, create_model

from declinerisk.data import schema
from declinerisk.data.records import EXTRA_LIMIT, TEXT_LIMIT
from declinerisk.data.schema import Column, Kind, Role

EXAMPLE_OFFER: dict[str, Any] = {
    "offer_id": "req-2291-offer-1",
    "days_in_process": 34,
    "contacts_per_week": 0.5,
    "comp_delta_pct": -8.0,
    "competing_offers": 2,
    "days_since_last_contact": 9,
    "counteroffer_expected": True,
    "interview_experience": 4,
    "role_level": "senior",
    "department": "engineering",
    "source": "referral",
    "requires_relocation": False,
    "notice_period_days": 60,
}


# What the API coerces, and nothing else (documented in the OpenAPI descriptions and README;
# done by declinerisk.data.records).
IsoDate = Annotated[date, Strict(False)]
COERCIONS = (
    "Coerced, nothing else: `offer_id` may be an integer (kept as its decimal text); "
    "`offer_date` is an ISO 8601 date string (`2026-07-01`); whole-number fields accept "
    "integral numbers written as floats (`2.0`), while `2.5`, numeric strings and booleans "
    "are refused."
)


def _field(column: Column) -> tuple[Any, Any]:
    limits: dict[str, Any] = {"description": column.meaning}
    if column.minimum is not None:
        limits["ge"] = column.minimum
    if column.maximum is not None:
        limits["le"] = column.maximum
    kinds: dict[Kind, Any] = {
        Kind.NUMBER: float,
        Kind.INTEGER: int,
        Kind.BOOLEAN: bool,
        Kind.CATEGORY: str,
        Kind.DATE: IsoDate,
    }
    if column.kind is Kind.NUMBER:
        limits["allow_inf_nan"] = False
    if column.kind is Kind.CATEGORY:
        limits["max_length"] = TEXT_LIMIT
    # Core signals must be sent (null when unknown); optional ones may be left out.
    default = ... if column.role is Role.CORE else None
    return kinds[column.kind] | None, Field(default, **limits)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


OfferIn = create_model(  # type: ignore[call-overload]
    "OfferIn",
    __base__=_Strict,
    offer_id=(
        str,
        Field(
            min_length=1,
            max_length=TEXT_LIMIT,
            description=schema.column("offer_id").meaning + " Text, or an integer kept as text.",
        ),
    ),
    offer_date=(
        IsoDate | None,
        Field(None, description=schema.column("offer_date").meaning + " E.g. 2026-07-01."),
    ),
    extra=(
        dict[str, float | str | None],
        Field(
            default_factory=dict,
            max_length=EXTRA_LIMIT,
            description="extra feature columns the model was trained with (from a mapping): "
            "numbers for numeric extras, text for categorical ones",
        ),
    ),
    **{c.name: _field(c) for c in schema.COLUMNS if c.role in (Role.CORE, Role.OPTIONAL)},
)


class ScoresRequest(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"offers": [EXAMPLE_OFFER]}], "description": COERCIONS},
    )

    # Documented as OfferIn, checked by the route through the contract (see the module note).
    offers: Annotated[list[OfferIn], SkipValidation] = Field(min_length=1)  # type: ignore[valid-type]


class ReasonOut(BaseModel):
    columns: list[str] = Field(
        description="the input, or the two inputs of an interaction the model learned"
    )
    values: list[str] = Field(description="this offer's values, as the sentence says them")
    typical: list[str] = Field(description="the typical values the effect is measured against")
    effect: float = Field(
        gt=0.0,
        le=1.0,
        description="decline probability minus the probability with these inputs at their "
        "typical values (0.07 = 7 points); at least the playbook's floor",
    )
    sentence: str


class WhatIfOut(BaseModel):
    column: str = Field(description="the input the action changes")
    action: str
    probability: float = Field(
        ge=0.0, le=1.0, description="the model's estimate after the action: not a promise"
    )


class ScoreOut(BaseModel):
    offer_id: str
    decline_probability: float = Field(ge=0.0, le=1.0)
    risk_band: Literal["high", "medium", "low"]
    reasons: list[ReasonOut] = Field(
        description="at most three inputs that raise this offer's risk, strongest first; "
        "none when nothing raises it by the floor (no strong risk signal)"
    )
    action: str
    what_ifs: list[WhatIfOut] = Field(
        description="for each action a recruiter can take on this offer, the model's estimate "
        "of the decline probability after it"
    )
    model_version: str
    warnings: list[str]


class ScoresResponse(BaseModel):
    request_id: str
    model_version: str
    scores: list[ScoreOut]


class FeatureOut(BaseModel):
    name: str
    kind: str
    role: str
    meaning: str
    minimum: float | None
    maximum: float | None


class ModelCard(BaseModel):
    version: str
    trained_at: datetime
    estimator: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    bands: dict[str, float]
    features: list[FeatureOut]


class OutcomeIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "offer_id": "req-2291-offer-1",
                    "event_id": "evt-7781",
                    "outcome": "declined",
                    "decline_reason": "competing offer",
                    "decided_at": "2026-11-20T15:04:00Z",
                }
            ]
        },
    )

    offer_id: str = Field(min_length=1, max_length=TEXT_LIMIT)
    event_id: str = Field(min_length=1, max_length=TEXT_LIMIT)
    outcome: Literal["accepted", "declined"]
    decline_reason: str | None = Field(None, max_length=1024)
    decided_at: datetime | None = Field(None, strict=False)


class OutcomeOut(BaseModel):
    offer_id: str
    event_id: str
    recorded: bool = Field(description="false when this offer_id + event_id was recorded before")


class ReloadIn(_Strict):
    version: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="a model folder name inside the models folder; default: the configured model",
    )


class ReloadOut(BaseModel):
    reloaded: bool
    model_version: str
    reason: str | None = None


class Liveness(BaseModel):
    status: Literal["ok"]


class Health(BaseModel):
    status: Literal["ready", "degraded"]
    model_version: str | None = Field(description="the model being served; null when none is")
    store: Literal["ok", "unreachable"]
    worker: str = Field(
        description="the process that answered (also the x-declinerisk-worker header)"
    )
    model_generation: int = Field(
        0,
        description="the fleet reload this worker applied; equal on every worker once a "
        "reload has reached them all",
    )
    reload_error: str | None = Field(
        None,
        description="why this worker refused the model another worker reloaded (it "
        "keeps serving its own); null when it follows",
    )
