"""What service tests share: keys, a fake predictor that needs no training, settings, offers,
signed webhook headers. Fixtures live in conftest.py; tests import these names from here."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.errors import ChecksumMismatchError
from declinerisk.explain.reasons import Reason, WhatIf
from declinerisk.scoring.predictor import ModelInfo, Predictor, ScoredOffer
from declinerisk_service.auth import key_digest
from declinerisk_service.routes.webhooks import signature
from declinerisk_service.settings import ServiceSettings

API_KEY = "test-key-0123456789"
OTHER_KEY = "second-key-abcdef"
WEBHOOK_SECRET = "whsec-test-secret"
AUTH = {"X-API-Key": API_KEY}


# The contract's own inputs: what a model trained on a contract-named export takes.
CONTRACT_FEATURES = FeatureSet(
    tuple(c for c in schema.COLUMNS if c.role in (schema.Role.CORE, schema.Role.OPTIONAL))
)


class FakePredictor:
    """Scores by a fixed rule: probability = competing_offers / 10. No model, no training."""

    def __init__(self, features: FeatureSet = CONTRACT_FEATURES, version: str = "fake-1") -> None:
        self.version = version
        self.features = features
        self.info = ModelInfo(
            version=version,
            trained_at=datetime(2026, 11, 1, tzinfo=UTC),
            features=features,
            bands={"high": 0.5, "medium": 0.2},
            metrics={"test": {"roc_auc": 0.8}},
            estimator={"kind": "fake"},
        )

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> list[ScoredOffer]:
        scored = []
        for record in records:
            p = min((record.get("competing_offers") or 0) / 10, 1.0)
            reasons = [
                Reason(
                    ("competing_offers",),
                    (str(record.get("competing_offers")),),
                    ("0",),
                    max(p, 0.01),
                    "Candidate has competing offers.",
                )
            ] * 3
            scored.append(
                ScoredOffer(
                    str(record["offer_id"]),
                    p,
                    "high" if p > 0.5 else "low",
                    reasons,
                    "Ask about their timeline.",
                    [WhatIf("comp_delta_pct", "Raise the offer to the ask", p / 2)],
                    self.version,
                    [],
                )
            )
        return scored


def settings_for(tmp_path: Path, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "models_dir": tmp_path / "models",
        "model": str(tmp_path / "models" / "latest"),
        "database_url": f"sqlite:///{tmp_path}/store.db",
        "spool_path": tmp_path / "spool.jsonl",
        "api_key_hashes": [key_digest(API_KEY), key_digest(OTHER_KEY)],
        "webhook_secret": WEBHOOK_SECRET,
        "max_offers_per_request": 5,
        "max_body_bytes": 64 * 1024,
    }
    values.update(overrides)
    return ServiceSettings(**values)


def fake_loader(features: FeatureSet = CONTRACT_FEATURES) -> Any:
    def load(version: str | None) -> Predictor:
        if version == "broken":
            raise ChecksumMismatchError("/srv/models/broken/model.joblib: SHA-256 differs")
        return FakePredictor(features, version or "fake-1")

    return load


def offer(offer_id: str = "o-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "offer_id": offer_id,
        "days_in_process": 20,
        "contacts_per_week": 1.5,
        "comp_delta_pct": -2.0,
        "competing_offers": 1,
    }
    body.update(overrides)
    return body


def signed(body: bytes, secret: str = WEBHOOK_SECRET, age: int = 0) -> dict[str, str]:
    """Webhook headers for ``body``, signed with ``secret``, ``age`` seconds old."""
    stamp = str(int(time.time()) - age)
    return {
        "X-DeclineRisk-Timestamp": stamp,
        "Content-Type": "application/json",
        "X-DeclineRisk-Signature": signature(secret, stamp, body),
    }
