"""POST /v1/outcomes: what happened to a scored offer (the next training run's labels)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from declinerisk.store.records import Outcome
from declinerisk_service.auth import OutcomesScope
from declinerisk_service.deps import StoreDep
from declinerisk_service.schemas import OutcomeIn, OutcomeOut

router = APIRouter(prefix="/v1", tags=["outcomes"])


def record_outcome(store: StoreDep, outcome: OutcomeIn, source: str) -> OutcomeOut:
    """Idempotent on (offer_id, event_id); 503 with Retry-After when the store is down."""
    try:
        recorded = store.add_outcome(
            Outcome(
                offer_id=outcome.offer_id,
                event_id=outcome.event_id,
                outcome=outcome.outcome,
                decline_reason=outcome.decline_reason,
                decided_at=outcome.decided_at,
                source=source,
            )
        )
    except Exception as exc:  # database unreachable: say so, never pretend success
        raise HTTPException(
            503, "the outcome store is unavailable; retry later", headers={"Retry-After": "30"}
        ) from exc
    return OutcomeOut(offer_id=outcome.offer_id, event_id=outcome.event_id, recorded=recorded)


@router.post("/outcomes", response_model=OutcomeOut)
def post_outcome(outcome: OutcomeIn, _: OutcomesScope, store: StoreDep) -> OutcomeOut:
    """Record that an offer was accepted or declined; a repeated event is not recorded twice."""
    return record_outcome(store, outcome, source="api")
