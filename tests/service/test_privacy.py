"""No API key, webhook secret or candidate value reaches the logs at INFO or an error body."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from tests.service.helpers import API_KEY, AUTH, OTHER_KEY, WEBHOOK_SECRET, offer, signed

CANDIDATE = "Zelda-Quartz-4471"


def test_secrets_and_candidate_data_stay_out_of_logs(
    fake_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_client.post(
        "/v1/scores", headers=AUTH, json={"offers": [offer(CANDIDATE, department=CANDIDATE)]}
    )
    fake_client.post(
        "/v1/scores", headers={"X-API-Key": CANDIDATE + "-key"}, json={"offers": [offer(CANDIDATE)]}
    )
    fake_client.post(
        "/v1/scores", headers=AUTH, json={"offers": [offer(CANDIDATE, days_in_process=-1)]}
    )
    fake_client.post(
        "/v1/scores", headers=AUTH, json={"offers": [offer(CANDIDATE, competing_offers=CANDIDATE)]}
    )
    body = json.dumps(
        {
            "offer_id": CANDIDATE,
            "event_id": CANDIDATE,
            "outcome": "declined",
            "decline_reason": CANDIDATE,
        }
    ).encode()
    fake_client.post("/v1/webhooks/outcomes", content=body, headers=signed(body))
    fake_client.post("/v1/webhooks/outcomes", content=body, headers=signed(body, "wrong"))
    fake_client.post(
        "/v1/outcomes",
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
        json={"offer_id": CANDIDATE, "event_id": "e", "outcome": "accepted"},
    )
    fake_client.app.state.runtime.recorder.flush()  # type: ignore[attr-defined]
    logged = caplog.text
    assert caplog.records, "the requests above should have produced some log records"
    for secret in (API_KEY, OTHER_KEY, WEBHOOK_SECRET, CANDIDATE):
        assert secret not in logged
