"""The port the service scores through: a narrow :class:`Predictor` and what it returns.

The service needs a model's version, its inputs, a summary to show (model card, board, drift)
and ``score_records``; nothing else. The real implementation is
:class:`declinerisk.scoring.scorer.Scorer`; tests satisfy the protocol with a hand-written
fake and no training run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from declinerisk.artifacts.manifest import DriftReference
from declinerisk.data.features import FeatureSet
from declinerisk.explain.reasons import Reason, WhatIf


@dataclass
class ScoredOffer:
    """What a recruiter sees for one offer (not frozen: see ``explain.reasons.Reason``)."""

    offer_id: str
    decline_probability: float
    risk_band: str
    reasons: list[Reason]
    action: str
    what_ifs: list[WhatIf]
    model_version: str
    warnings: list[str]


@dataclass(frozen=True)
class ModelInfo:
    """What the service shows about the model it serves: the card, the board, drift."""

    version: str
    trained_at: datetime
    features: FeatureSet
    bands: Mapping[str, float]
    metrics: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    estimator: Mapping[str, Any] = field(default_factory=dict)
    drift_reference: DriftReference | None = None  # None: drift cannot be computed
    report: Path | None = None  # the model folder's report.html, when it has one


class Predictor(Protocol):
    """What the service needs from a model."""

    @property
    def version(self) -> str: ...

    @property
    def features(self) -> FeatureSet:
        """The inputs the model takes: requests are validated against them."""
        ...

    @property
    def info(self) -> ModelInfo: ...

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> list[ScoredOffer]:
        """Score records whose values already passed the contract's validation."""
        ...
