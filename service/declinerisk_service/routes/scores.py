"""POST /v1/scores: score one or many open offers."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Response
from fastapi.exceptions import RequestValidationError

from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.validation import record_problems
from declinerisk.scoring.predictor import ScoredOffer
from declinerisk.store.recorder import score_rows
from declinerisk_service.auth import ScoreScope
from declinerisk_service.deps import PredictorDep, RuntimeDep, SettingsDep
from declinerisk_service.schemas import ScoresRequest, ScoresResponse

router = APIRouter(prefix="/v1", tags=["scores"])
CONTRACT_NAMES = frozenset(schema.COLUMNS_BY_NAME)


@router.post("/scores", response_model=ScoresResponse)
async def score_offers(
    request: ScoresRequest,
    _: ScoreScope,
    predictor: PredictorDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> Response:
    """Decline probability, risk band, top three reasons and the action, per offer.

    Coerced, nothing else: an integer `offer_id` (kept as text), an ISO 8601 `offer_date`
    string, and integral floats (`2.0`) for whole-number fields. `extra` holds the columns a
    model trained through a mapping takes: numbers for numeric ones, text for categories.
    """
    _check_batch(request, settings.max_offers_per_request)
    records = [_record(offer) for offer in request.offers]
    _check_inputs(request, records, predictor.features)
    # Scoring is CPU work: it runs in the app's small scoring pool, never on the event loop.
    # A pool sized to the cores queues bursts instead of letting dozens of threads fight
    # over the GIL, which keeps the latency tail short.
    loop = asyncio.get_running_loop()
    scored = await loop.run_in_executor(runtime.scoring_pool, predictor.score_records, records)
    request_id = uuid.uuid4().hex
    runtime.recorder.record(_store_rows(request_id, records, scored))
    runtime.metrics.count_scores(Counter(offer.risk_band for offer in scored))
    # The body is written straight from the scored offers: building ScoreOut models only to
    # dump them cost more than scoring a one-offer request. The response model above still
    # documents it, and a test checks bodies against it.
    body = {
        "request_id": request_id,
        "model_version": predictor.version,
        "scores": [_out(offer) for offer in scored],
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _check_batch(request: ScoresRequest, limit: int) -> None:
    if len(request.offers) > limit:
        raise _invalid(("offers", f"at most {limit} offers per request, got {len(request.offers)}"))
    offers: list[Any] = request.offers  # OfferIn is built from the contract at import
    for i, offer in enumerate(offers):
        shadowed = sorted(set(offer.extra) & CONTRACT_NAMES)
        if shadowed:
            raise _invalid((f"offers.{i}.extra", f"extra keys repeat contract fields: {shadowed}"))
    first: dict[str, int] = {}
    repeats: list[tuple[str, str]] = []
    for i, offer in enumerate(offers):
        seen = first.setdefault(offer.offer_id, i)
        if seen != i:
            # Positions only: an error body never repeats a submitted value, ids included.
            repeats.append((f"offers.{i}.offer_id", f"duplicates offers.{seen}.offer_id"))
    if repeats:
        raise _invalid(*repeats)


def _check_inputs(
    request: ScoresRequest, records: list[dict[str, Any]], features: FeatureSet
) -> None:
    """Every input typed as the served model takes it, extras included (their types are the
    model's): a wrong type is a 422 naming the field, never a scorer's exception."""
    offers: list[Any] = request.offers
    known = set(features.names)
    problems = [
        (f"offers.{i}.extra.{name}", "not an input of the model being served")
        for i, offer in enumerate(offers)
        for name in sorted(set(offer.extra) - known)
    ]
    extras = {c.name for c in features.columns if c.role is schema.Role.EXTRA}
    for p in record_problems(records, features):
        path = f"extra.{p.column}" if p.column in extras else p.column
        problems.append((f"offers.{p.row - 1}.{path}", p.reason))
    if problems:
        raise _invalid(*problems)


def _invalid(*problems: tuple[str, str]) -> RequestValidationError:
    return RequestValidationError(
        [
            {"type": "value_error", "loc": ("body", field), "msg": message, "input": None}
            for field, message in problems
        ]
    )


def _record(offer: Any) -> dict[str, Any]:
    record: dict[str, Any] = offer.model_dump(exclude={"extra"}, mode="json")
    record.update(offer.extra)
    return record


def _store_rows(
    request_id: str, records: list[dict[str, Any]], scored: list[ScoredOffer]
) -> list[dict[str, Any]]:
    return score_rows(request_id, records, scored, datetime.now(UTC))


def _out(offer: ScoredOffer) -> dict[str, Any]:
    """One ``ScoreOut``, as plain JSON values."""
    return {
        "offer_id": offer.offer_id,
        "decline_probability": offer.decline_probability,
        "risk_band": offer.risk_band,
        "reasons": [
            {
                "columns": list(r.columns),
                "values": list(r.values),
                "typical": list(r.typical),
                "effect": r.effect,
                "sentence": r.sentence,
            }
            for r in offer.reasons
        ],
        "action": offer.action,
        "what_ifs": [
            {"column": w.column, "action": w.action, "probability": w.probability}
            for w in offer.what_ifs
        ],
        "model_version": offer.model_version,
        "warnings": offer.warnings,
    }
