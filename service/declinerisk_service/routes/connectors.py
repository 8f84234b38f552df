"""POST /v1/connectors/greenhouse: Greenhouse offer webhooks, signed by Greenhouse, no API key.

Acknowledged with 2xx unless the signature is wrong (401), the payload of a handled action is
unusable (422, fields named) or the store or Harvest is down (503: Greenhouse delivers again).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from declinerisk.connectors.base import PayloadError, SignatureError, UpstreamError
from declinerisk.connectors.handling import handle
from declinerisk_service.deps import RuntimeDep

router = APIRouter(prefix="/v1/connectors", tags=["connectors"])


class GreenhouseDeliveryIn(BaseModel):
    """A Greenhouse web hook body (offer events are handled; other actions are ignored)."""

    action: str
    payload: dict[str, Any]


class ConnectorOut(BaseModel):
    result: str = Field(
        description="scored, outcome_recorded, erased (offer_deleted), ignored (not handled) "
        "or duplicate (seen before)"
    )
    offer_id: str | None = None
    reason: str | None = None
    decline_probability: float | None = Field(None, ge=0.0, le=1.0)
    risk_band: str | None = None
    warnings: list[str] = Field(default_factory=list, description="inputs the ATS did not give")


@router.post(
    "/greenhouse",
    response_model=ConnectorOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": GreenhouseDeliveryIn.model_json_schema()}},
        }
    },
)
async def greenhouse_delivery(request: Request, runtime: RuntimeDep) -> ConnectorOut:
    """A Greenhouse delivery, verified by its ``Signature: sha256 <hex>`` header."""
    body = await request.body()
    extras = runtime.integrations
    count = extras.metrics.deliveries.labels
    try:
        extras.connector.verify(request.headers, body)
    except SignatureError as exc:
        count(connector="greenhouse", result=f"refused_{exc.reason}").inc()
        raise HTTPException(401, f"delivery refused: {exc}") from exc
    delivery_id = extras.connector.delivery_id(request.headers, body)
    try:
        done = await run_in_threadpool(
            handle,
            extras.connector,
            runtime.store,
            runtime.models.current,
            delivery_id,
            body,
            runtime.recorder.forget,
        )
    except PayloadError as exc:
        count(connector="greenhouse", result="invalid").inc()
        raise RequestValidationError(
            [{"type": "value_error", "loc": (f,), "msg": m, "input": None} for f, m in exc.problems]
        ) from exc
    except UpstreamError as exc:
        count(connector="greenhouse", result="unavailable").inc()
        raise HTTPException(503, str(exc), headers={"Retry-After": "60"}) from exc
    except Exception as exc:  # the store refused: say so, never pretend success
        if isinstance(exc, HTTPException):
            raise
        count(connector="greenhouse", result="unavailable").inc()
        raise HTTPException(
            503, "the store is unavailable; deliver again later", headers={"Retry-After": "30"}
        ) from exc
    count(connector="greenhouse", result=done.result).inc()
    scored = done.scored
    return ConnectorOut(
        result=done.result,
        offer_id=done.offer_id,
        reason=done.reason,
        decline_probability=scored.decline_probability if scored else None,
        risk_band=scored.risk_band if scored else None,
        warnings=done.warnings,
    )
