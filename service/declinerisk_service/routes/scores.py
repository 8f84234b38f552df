"""POST /v1/scores: score one or many open offers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError

from declinerisk.data.features import FeatureSet
from declinerisk.data.records import validate_records
from declinerisk.errors import RowProblem
from declinerisk.scoring.predictor import ScoredOffer
from declinerisk.store.recorder import score_rows
from declinerisk.store.request_ids import new_request_id
from declinerisk_service.auth import ScoreScope, authorize
from declinerisk_service.deps import runtime_of, settings_of
from declinerisk_service.json_body import validated_body
from declinerisk_service.schemas import ScoresRequest, ScoresResponse

router = APIRouter(tags=["scores"])
PATH = "/v1/scores"


async def serve_scores(request: Request) -> Response:
    """``POST /v1/scores`` as served (a plain route, see the app factory); documented by
    :func:`score_offers`."""
    # The hot path: FastAPI's dependencies and body parameter cost more than scoring one
    # offer, so the key, the body and the app state are read here, with the same checks and
    # errors (auth.authorize, json_body.validated_body, deps). The key comes first: a caller
    # without one gets 401 before its body is read at all.
    authorize(request, "score")
    body = await validated_body(request, ScoresRequest)
    runtime, settings = runtime_of(request), settings_of(request)
    predictor = runtime.models.current
    records = _validated(body.offers, settings.max_offers_per_request, predictor.features)
    if len(records) <= settings.inline_offers:
        # Scoring is mostly Python: on the loop it costs its own time; in a thread it costs
        # that, a hand-off and contention for the interpreter lock (see the setting).
        scored = predictor.score_records(records)
    else:
        # A long request goes to the app's small scoring pool, off the event loop, so the
        # requests behind it are not held up; a pool sized to the cores queues bursts
        # instead of letting dozens of threads fight over the GIL.
        loop = asyncio.get_running_loop()
        scored = await loop.run_in_executor(runtime.scoring_pool, predictor.score_records, records)
    request_id = new_request_id()
    runtime.recorder.record(_store_rows(request_id, records, scored))
    runtime.metrics.count_scores(Counter(offer.risk_band for offer in scored))
    # The body is the scored offers as orjson writes dataclasses (their fields are the
    # response model's, in its order): building ScoreOut models only to dump them cost more
    # than scoring a one-offer request. The documenting route below declares the response
    # model, and a test checks bodies against it.
    answer = {"request_id": request_id, "model_version": predictor.version, "scores": scored}
    return Response(orjson.dumps(answer), media_type="application/json")


@router.post(PATH, response_model=ScoresResponse)
async def score_offers(request: Request, body: ScoresRequest, _: ScoreScope) -> Response:
    """Decline probability, risk band, top three reasons and the action, per offer.

    Coerced, nothing else: an integer `offer_id` (kept as text), an ISO 8601 `offer_date`
    string, and integral floats (`2.0`) for whole-number fields. `extra` holds the columns a
    model trained through a mapping takes: numbers for numeric ones, text for categories.

    A refused request is refused whole, naming every problem of every offer at once, in the
    words of `declinerisk score`'s errors file; rows in messages count offers from 1 in
    request order (`offers[0]` is row 1). A request without a valid key gets 401 before its
    body is read.
    """
    # What OpenAPI documents. Requests are served by serve_scores, a plain route before this
    # one; were this one reached, it would answer the same (the body is read again from
    # Starlette's cache).
    return await serve_scores(request)


def _validated(offers: object, limit: int, features: FeatureSet) -> list[dict[str, Any]]:
    """The offers typed by the contract's validation (the file scorer's), or one 422 naming
    every problem. The request model documents the offers but leaves them to the contract."""
    if not isinstance(offers, list) or not offers:
        raise _invalid((("offers",), "must be a list of at least one offer"))
    if len(offers) > limit:
        raise _invalid((("offers",), f"at most {limit} offers per request, got {len(offers)}"))
    validated = validate_records(offers, features)
    if validated.problems:
        raise _invalid(*((_location(p), p.reason) for p in validated.problems))
    return validated.records


def _location(problem: RowProblem) -> tuple[str | int, ...]:
    """``offers.<index>.<field>``, extras as ``extra.<name>`` (a name may hold a dot)."""
    path = problem.column.split(".", 1) if problem.column else []
    return ("offers", problem.row - 1, *path)


def _invalid(*problems: tuple[tuple[str | int, ...], str]) -> RequestValidationError:
    return RequestValidationError(
        [
            {"type": "value_error", "loc": ("body", *loc), "msg": message, "input": None}
            for loc, message in problems
        ]
    )


def _store_rows(
    request_id: str, records: list[dict[str, Any]], scored: list[ScoredOffer]
) -> list[dict[str, Any]]:
    return score_rows(request_id, records, scored, datetime.now(UTC))
