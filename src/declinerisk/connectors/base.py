"""The connector interface: a verified delivery from an ATS becomes one command.

A connector (Greenhouse today; Lever or Ashby would be new modules beside it) verifies a
delivery's signature, names its delivery id, and parses its body into :class:`ScoreOffer`,
:class:`RecordOutcome` or :class:`Ignore`. What the commands do (score through the one
kernel, store, de-duplicate) is the same for every ATS: :mod:`declinerisk.connectors.handling`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from declinerisk.errors import DeclineRiskError
from declinerisk.store.records import Outcome


class ConnectorError(DeclineRiskError):
    """A delivery that cannot be acted on."""


class SignatureError(ConnectorError):
    """Missing or wrong signature, or no secret configured; ``reason`` is a short label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason.replace("_", " "))
        self.reason = reason


class PayloadError(ConnectorError):
    """The delivery is signed but its content cannot be used: (field, message) per problem,
    never the submitted value."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the delivery")
        self.problems = problems


class UpstreamError(ConnectorError):
    """The ATS's own API (e.g. Harvest) did not answer usefully; the delivery may be retried."""


@dataclass(frozen=True)
class ScoreOffer:
    """Score this contract record; ``warnings`` say which inputs the ATS could not give."""

    record: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecordOutcome:
    outcome: Outcome


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class EraseOffer:
    """The ATS deleted or anonymized the offer: erase every record of it."""

    offer_id: str


Command = ScoreOffer | RecordOutcome | Ignore | EraseOffer


class Connector(Protocol):
    """What an ATS connector provides."""

    @property
    def name(self) -> str: ...

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`SignatureError` unless the body is signed by the ATS."""
        ...

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The id the ATS repeats when it redelivers the same event."""
        ...

    def parse(self, body: bytes) -> Command:
        """The command of a verified delivery; :class:`PayloadError` when it is unusable."""
        ...
