"""POST /v1/webhooks/outcomes: outcomes pushed by an ATS automation, signed with HMAC-SHA256.

Headers: ``X-DeclineRisk-Timestamp`` (Unix seconds) and ``X-DeclineRisk-Signature:
v1=<hex>``, where ``<hex>`` is HMAC-SHA256 with the shared secret over
``"<timestamp>." + raw body``. Calls older or newer than the tolerance (5 minutes) are
refused as replays; a repeated event id for the same offer is acknowledged, not recorded twice.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from declinerisk_service.deps import RuntimeDep, SettingsDep
from declinerisk_service.routes.outcomes import record_outcome
from declinerisk_service.schemas import OutcomeIn, OutcomeOut

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

TIMESTAMP_HEADER = "x-declinerisk-timestamp"
SIGNATURE_HEADER = "x-declinerisk-signature"
SCHEME = "v1="
MAX_TIMESTAMP_DIGITS = 12


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a sender puts in ``X-DeclineRisk-Signature``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


@router.post(
    "/outcomes",
    response_model=OutcomeOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": OutcomeIn.model_json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            },
        }
    },
)
async def webhook_outcome(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> OutcomeOut:
    """Record an outcome sent by the ATS; authenticated by its signature, not an API key."""
    body = await request.body()
    reason = _refusal(request, body, settings.webhook_secret, settings.webhook_tolerance_seconds)
    if reason is not None:
        runtime.metrics.webhook_rejections.labels(reason=reason).inc()
        raise HTTPException(401, f"webhook refused: {reason.replace('_', ' ')}")
    try:
        outcome = OutcomeIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from exc
    result = await run_in_threadpool(record_outcome, runtime.store, outcome, "webhook")
    if not result.recorded:
        # A replay inside the time window: acknowledged (the sender may be retrying) but not
        # recorded again, and counted like the other refusals.
        runtime.metrics.webhook_rejections.labels(reason="replayed_event").inc()
    return result


def _refusal(request: Request, body: bytes, secret: object, tolerance: int) -> str | None:
    if secret is None:
        return "not_configured"
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    given = request.headers.get(SIGNATURE_HEADER)
    if not timestamp or not given:
        return "missing_signature"
    # Unix seconds fit in 12 digits for 30,000 years; longer ones are refused before int()
    # and float arithmetic could overflow on them. isascii: str.isdigit accepts other digits.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return "stale_timestamp"
    if abs(time.time() - int(timestamp)) > tolerance:
        return "stale_timestamp"
    expected = signature(secret.get_secret_value(), timestamp, body)  # type: ignore[attr-defined]
    if not hmac.compare_digest(expected, given.strip()):
        return "bad_signature"
    return None
