"""Greenhouse offer webhooks: verify, map custom fields onto the contract, decide the command.

Greenhouse signs each body with HMAC-SHA256 and the hook's secret key and sends
``Signature: sha256 <hexdigest>`` (a space, not ``=``); ``Greenhouse-Event-ID`` names the
delivery. ``offer_created`` / ``offer_updated`` carry the offer with ``offer_status``:
Created is an open offer (scored), Accepted and Rejected are outcomes (decided at
``resolved_at``), Deprecated is an old version a new ``offer_created`` replaces (ignored).
``offer_deleted`` (also fired when a candidate is anonymized) erases every record of the offer.
Everything else is ignored. Versions of one application's offer share the offer id
``greenhouse-<application_id>``, so a new version is a re-score of the same offer.

Which custom field holds which contract input is the operator's mapping
(``training/greenhouse.example.toml``), looked up among the offer's custom fields, then the
application's (from Harvest v3, when configured). Harvest also gives ``applied_at`` and
``last_activity_at``: ``days_in_process`` is ``sent_on`` (or today) minus ``applied_at``,
``days_since_last_contact`` today minus ``last_activity_at``; a mapped custom field wins.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from declinerisk.connectors.base import (
    Command,
    EraseOffer,
    Ignore,
    PayloadError,
    RecordOutcome,
    ScoreOffer,
    SignatureError,
)
from declinerisk.connectors.greenhouse_fields import (
    INPUTS,
    GreenhouseMapping,
    convert,
    field_value,
)
from declinerisk.data import schema
from declinerisk.data.schema import Role
from declinerisk.store.records import Outcome

NAME = "greenhouse"
SCORED_ACTIONS = frozenset({"offer_created", "offer_updated"})
DELETED = "offer_deleted"
OUTCOMES = {"Accepted": "accepted", "Rejected": "declined"}
ENRICHED = ("days_in_process", "days_since_last_contact")


class ApplicationFacts(BaseModel):
    """What Harvest v3 says about the offer's application."""

    applied_at: datetime | None = None
    last_activity_at: datetime | None = None
    stage: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class ApplicationSource(Protocol):
    def application(self, application_id: str) -> ApplicationFacts: ...


class _Offer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    application_id: int | str
    version: int | None = None
    sent_on: date | datetime | None = None
    resolved_at: datetime | None = None
    offer_status: str | None = None
    custom_fields: dict[str, Any] | None = None


class _Deleted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    application_id: int | str


def signature(secret: str, body: bytes) -> str:
    """The ``Signature`` header Greenhouse sends for ``body``."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GreenhouseConnector:
    def __init__(
        self,
        secret: str | None,
        mapping: GreenhouseMapping,
        applications: ApplicationSource | None = None,
        today: Any = None,
    ) -> None:
        self._secret = secret
        self.mapping = mapping
        self.applications = applications
        self._today = today or (lambda: datetime.now(UTC).date())

    @property
    def name(self) -> str:
        return NAME

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if not self._secret:
            raise SignatureError("not_configured")
        given = headers.get("signature")
        if not given:
            raise SignatureError("missing_signature")
        if not hmac.compare_digest(signature(self._secret, body), given.strip()):
            raise SignatureError("bad_signature")

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """``Greenhouse-Event-ID``; without it, the body's SHA-256 (the same body again is
        the same delivery)."""
        given = headers.get("greenhouse-event-id", "").strip()
        return given[:200] if given else "sha256:" + hashlib.sha256(body).hexdigest()

    def parse(self, body: bytes) -> Command:
        try:
            delivery = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PayloadError([("body", "not JSON")]) from exc
        if not isinstance(delivery, dict):
            raise PayloadError([("body", "not a JSON object")])
        action = delivery.get("action")
        if action == DELETED:
            return self._erase(delivery.get("payload"))
        if action not in SCORED_ACTIONS:
            return Ignore("not an offer_created or offer_updated delivery")
        try:
            offer = _Offer.model_validate(delivery.get("payload"))
        except ValidationError as exc:
            raise PayloadError(
                [("payload." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            ) from exc
        status = offer.offer_status
        offer_id = f"greenhouse-{offer.application_id}"
        if status in OUTCOMES:
            return RecordOutcome(
                Outcome(
                    offer_id=offer_id,
                    event_id=f"greenhouse-offer-{offer.id}-{status.lower()}",
                    outcome=OUTCOMES[status],
                    decided_at=offer.resolved_at,
                    source=NAME,
                )
            )
        if status != "Created":
            return Ignore(
                "a deprecated offer version"
                if status == "Deprecated"
                else "offer status not handled"
            )
        return self._score(offer, offer_id)

    def _erase(self, payload: Any) -> EraseOffer:
        """``offer_deleted`` (also sent when a candidate is anonymized) erases the offer id
        every version shares. Its payload holds the offer under ``offer``."""
        inner = payload.get("offer", payload) if isinstance(payload, dict) else payload
        try:
            offer = _Deleted.model_validate(inner)
        except ValidationError as exc:
            raise PayloadError(
                [("payload.offer." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            ) from exc
        return EraseOffer(f"greenhouse-{offer.application_id}")

    def _score(self, offer: _Offer, offer_id: str) -> ScoreOffer:
        facts = (
            self.applications.application(str(offer.application_id))
            if self.applications is not None
            else None
        )
        fields = {**(facts.custom_fields if facts else {}), **(offer.custom_fields or {})}
        record: dict[str, Any] = dict.fromkeys(INPUTS)
        record[schema.ID_COLUMN] = offer_id
        sent = _day(offer.sent_on)
        record[schema.DATE_COLUMN] = sent.isoformat() if sent else None
        problems: list[tuple[str, str]] = []
        warnings: list[str] = []
        if facts is not None:
            record.update(_enriched(facts, sent or self._today(), self._today()))
        for name, key in self.mapping.fields.items():
            if key not in fields:
                continue
            value, problem = convert(INPUTS[name], field_value(fields[key]))
            if problem:
                problems.append((f"custom_fields.{key}", problem))
            elif value is not None:
                record[name] = value
        if problems:
            raise PayloadError(problems)
        for name, column in INPUTS.items():
            if column.role is Role.CORE and record[name] is None:
                warnings.append(f"{name}: {self._why_missing(name, fields)}")
        return ScoreOffer(record, warnings)

    def _why_missing(self, name: str, fields: Mapping[str, Any]) -> str:
        key = self.mapping.fields.get(name)
        if key is not None and key in fields:
            return f"custom field '{key}' is empty"
        if name in ENRICHED and self.applications is None:
            return "not mapped, and Harvest v3 credentials are not configured to compute it"
        if key is not None:
            return f"custom field '{key}' is not on the offer or application"
        return "no Greenhouse custom field is mapped to it"


def _enriched(facts: ApplicationFacts, sent: date, today: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if facts.applied_at is not None:
        values["days_in_process"] = float(max((sent - facts.applied_at.date()).days, 0))
    if facts.last_activity_at is not None:
        values["days_since_last_contact"] = float(
            max((today - facts.last_activity_at.date()).days, 0)
        )
    return values


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
