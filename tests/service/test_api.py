"""The HTTP contract, around a fake predictor: auth, every refusal, store, webhooks, reload."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk_service.schemas import ScoresResponse
from tests.service.helpers import API_KEY, AUTH, OTHER_KEY, offer, signed


def _assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["status"] == status
    return dict(body["error"])


def test_scores_one_offer(fake_client: TestClient) -> None:
    response = fake_client.post(
        "/v1/scores", json={"offers": [offer(competing_offers=7)]}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    (scored,) = body["scores"]
    assert scored["decline_probability"] == pytest.approx(0.7)
    assert scored["risk_band"] == "high"
    assert len(scored["reasons"]) == 3 and scored["action"]
    assert body["model_version"] == "fake-1"


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": API_KEY}, {"Authorization": f"Bearer {OTHER_KEY}"}],
)
def test_both_key_headers_are_accepted(fake_client: TestClient, headers: dict[str, str]) -> None:
    response = fake_client.post("/v1/scores", json={"offers": [offer()]}, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer "}, {"Authorization": "Basic x"}],
)
def test_requests_without_a_valid_key_get_401(
    fake_client: TestClient, headers: dict[str, str]
) -> None:
    response = fake_client.post("/v1/scores", json={"offers": [offer()]}, headers=headers)
    _assert_error(response, 401)
    assert fake_client.get("/v1/model", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days_in_process": -1}, "offers.0.days_in_process"),
        ({"competing_offers": "three"}, "offers.0.competing_offers"),
        ({"comp_delta_pct": "5"}, "offers.0.comp_delta_pct"),
        ({"interview_experience": 7}, "offers.0.interview_experience"),
        ({"days_in_proces": 3}, "offers.0.days_in_proces"),
        ({"offer_id": ""}, "offers.0.offer_id"),
    ],
)
def test_invalid_fields_get_field_level_422(
    fake_client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = fake_client.post("/v1/scores", json={"offers": [offer(**change)]}, headers=AUTH)
    error = _assert_error(response, 422)
    assert field in [d["field"] for d in error["details"]]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_get_422(fake_client: TestClient, literal: str) -> None:
    body = json.dumps({"offers": [offer()]}).replace(
        '"comp_delta_pct": -2.0', f'"comp_delta_pct": {literal}'
    )
    response = fake_client.post(
        "/v1/scores", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    error = _assert_error(response, 422)
    assert "offers.0.comp_delta_pct" in [d["field"] for d in error["details"]]


def test_a_missing_core_signal_is_refused_but_null_is_allowed(fake_client: TestClient) -> None:
    body = offer()
    del body["days_in_process"]
    _assert_error(fake_client.post("/v1/scores", json={"offers": [body]}, headers=AUTH), 422)
    ok = fake_client.post(
        "/v1/scores", json={"offers": [offer(days_in_process=None)]}, headers=AUTH
    )
    assert ok.status_code == 200


def test_too_many_offers_and_repeated_ids_get_422(fake_client: TestClient) -> None:
    many = {"offers": [offer(f"o-{i}") for i in range(6)]}
    error = _assert_error(fake_client.post("/v1/scores", json=many, headers=AUTH), 422)
    assert "at most 5 offers" in error["details"][0]["message"]
    twice = {"offers": [offer("same"), offer("same")]}
    _assert_error(fake_client.post("/v1/scores", json=twice, headers=AUTH), 422)
    _assert_error(fake_client.post("/v1/scores", json={"offers": []}, headers=AUTH), 422)


def test_bodies_over_the_limit_get_413(fake_client: TestClient) -> None:
    huge = {"offers": [offer(department="x" * 200)] * 400}
    _assert_error(fake_client.post("/v1/scores", json=huge, headers=AUTH), 413)


def test_malformed_json_and_wrong_content_type_get_4xx(fake_client: TestClient) -> None:
    broken = fake_client.post(
        "/v1/scores", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    _assert_error(broken, 422)
    text = fake_client.post(
        "/v1/scores", content=b"offers", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert 400 <= text.status_code < 500


def test_every_scored_offer_is_stored(fake_client: TestClient) -> None:
    ids = []
    for i in range(4):
        r = fake_client.post(
            "/v1/scores", json={"offers": [offer(f"a{i}"), offer(f"b{i}")]}, headers=AUTH
        )
        assert r.status_code == 200
        ids.append(r.json()["request_id"])
    runtime = fake_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.recorder.flush()
    assert runtime.store.count_scores(ids) == 8
    (record,) = runtime.store.scores("a2")
    assert record.inputs["days_in_process"] == 20
    assert record.model_version == "fake-1" and len(record.reasons) == 3


def test_outcomes_are_idempotent_on_offer_and_event(fake_client: TestClient) -> None:
    outcome = {
        "offer_id": "o-1",
        "event_id": "e-1",
        "outcome": "declined",
        "decline_reason": "competing offer",
        "decided_at": "2026-11-20T10:00:00Z",
    }
    first = fake_client.post("/v1/outcomes", json=outcome, headers=AUTH)
    again = fake_client.post("/v1/outcomes", json=outcome, headers=AUTH)
    other = fake_client.post("/v1/outcomes", json={**outcome, "event_id": "e-2"}, headers=AUTH)
    assert (first.json()["recorded"], again.json()["recorded"], other.json()["recorded"]) == (
        True,
        False,
        True,
    )
    _assert_error(
        fake_client.post("/v1/outcomes", json={**outcome, "outcome": "ghosted"}, headers=AUTH), 422
    )
    _assert_error(fake_client.post("/v1/outcomes", json=outcome), 401)


def test_webhook_accepts_a_signed_outcome_once(fake_client: TestClient) -> None:
    body = json.dumps({"offer_id": "o-9", "event_id": "evt-1", "outcome": "accepted"}).encode()
    first = fake_client.post("/v1/webhooks/outcomes", content=body, headers=signed(body))
    again = fake_client.post("/v1/webhooks/outcomes", content=body, headers=signed(body))
    assert first.status_code == again.status_code == 200
    assert (first.json()["recorded"], again.json()["recorded"]) == (True, False)
    metrics = fake_client.get("/metrics").text
    assert 'declinerisk_webhook_rejections_total{reason="replayed_event"} 1.0' in metrics


def test_webhook_refusals_are_counted(fake_client: TestClient) -> None:
    body = json.dumps({"offer_id": "o-9", "event_id": "evt-2", "outcome": "declined"}).encode()
    altered = body.replace(b"declined", b"accepted")
    cases = {
        "bad_signature": ({**signed(body, secret="wrong")}, body),
        "stale_timestamp": (signed(body, age=301), body),
        "missing_signature": ({"Content-Type": "application/json"}, body),
    }
    for _, (headers, content) in cases.items():
        _assert_error(
            fake_client.post("/v1/webhooks/outcomes", content=content, headers=headers), 401
        )
    _assert_error(
        fake_client.post("/v1/webhooks/outcomes", content=altered, headers=signed(body)), 401
    )
    metrics = fake_client.get("/metrics").text
    assert 'declinerisk_webhook_rejections_total{reason="bad_signature"} 2.0' in metrics
    assert 'declinerisk_webhook_rejections_total{reason="stale_timestamp"} 1.0' in metrics
    assert 'declinerisk_webhook_rejections_total{reason="missing_signature"} 1.0' in metrics


def test_reload_swaps_and_a_refused_model_keeps_the_old_one(fake_client: TestClient) -> None:
    swapped = fake_client.post("/v1/admin/reload", json={"version": "v2"}, headers=AUTH)
    assert swapped.json() == {"reloaded": True, "model_version": "v2", "reason": None}
    refused = fake_client.post("/v1/admin/reload", json={"version": "broken"}, headers=AUTH)
    assert refused.status_code == 200
    assert refused.json()["reloaded"] is False
    assert "SHA-256" in refused.json()["reason"]
    score = fake_client.post("/v1/scores", json={"offers": [offer()]}, headers=AUTH)
    assert score.json()["model_version"] == "v2"
    _assert_error(
        fake_client.post("/v1/admin/reload", json={"version": "../etc"}, headers=AUTH), 422
    )


def test_health_ready_and_metrics_need_no_key(fake_client: TestClient) -> None:
    assert fake_client.get("/healthz").json() == {"status": "ok"}
    ready = fake_client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["store"] == "ok"
    fake_client.post("/v1/scores", json={"offers": [offer(competing_offers=9)]}, headers=AUTH)
    metrics = fake_client.get("/metrics").text
    assert 'declinerisk_scores_total{band="high"} 1.0' in metrics
    assert 'declinerisk_model_info{version="fake-1"} 1.0' in metrics
    assert 'route="/v1/scores"' in metrics


def test_model_card(fake_client: TestClient) -> None:
    card = fake_client.get("/v1/model", headers=AUTH).json()
    assert {"version", "trained_at", "metrics", "bands", "features", "estimator"} <= set(card)
    assert "days_in_process" in [f["name"] for f in card["features"]]
    assert card["bands"]["high"] >= card["bands"]["medium"]


def test_docs_and_openapi_are_served(fake_client: TestClient) -> None:
    assert fake_client.get("/docs").status_code == 200
    schema = fake_client.get("/openapi.json").json()
    assert "/v1/scores" in schema["paths"]
    assert "examples" in json.dumps(schema["components"]["schemas"]["ScoresRequest"])


def test_extra_keys_cannot_shadow_contract_fields(fake_client: TestClient) -> None:
    body = {"offers": [offer(extra={"days_in_process": 0})]}
    error = _assert_error(fake_client.post("/v1/scores", json=body, headers=AUTH), 422)
    assert error["details"][0]["field"] == "offers.0.extra"


def test_error_bodies_never_echo_submitted_values(fake_client: TestClient) -> None:
    secret_value = "Jane Doe, 555-0199"
    for body in (
        {"offers": [offer(competing_offers=secret_value)]},
        {"offers": [offer(department=secret_value * 20)]},
        {"offers": [offer(secret_value=1)]},
    ):
        response = fake_client.post("/v1/scores", json=body, headers=AUTH)
        assert response.status_code == 422
        assert "Jane" not in response.text


def test_settings_refuse_a_model_outside_the_models_folder(tmp_path: Any) -> None:
    from pydantic import ValidationError

    from tests.service.helpers import settings_for

    with pytest.raises(ValidationError, match="outside models_dir"):
        settings_for(tmp_path, model="/etc/passwd")
    with pytest.raises(ValidationError, match="SHA-256"):
        settings_for(tmp_path, api_key_hashes=["not-a-digest"])
    assert settings_for(tmp_path, model="models:/declinerisk@champion").model.startswith("models:")


def test_score_bodies_match_the_documented_response_model(fake_client: TestClient) -> None:
    # The route writes its JSON directly; the OpenAPI response model must still describe it.
    body = {"offers": [offer("a", competing_offers=7), offer("b", competing_offers=0)]}
    response = fake_client.post("/v1/scores", json=body, headers=AUTH)
    assert response.status_code == 200
    parsed = ScoresResponse.model_validate_json(response.content)
    assert response.json() == parsed.model_dump(mode="json")  # no key more, none less
    assert any(s.reasons for s in parsed.scores) and any(s.what_ifs for s in parsed.scores)
    assert [s.offer_id for s in parsed.scores] == ["a", "b"]
    assert [s.risk_band for s in parsed.scores] == ["high", "low"]
    assert parsed.scores[0].decline_probability == 0.7
    assert parsed.model_version == "fake-1"


def test_a_request_without_a_key_gets_401_before_its_body_is_read(
    fake_client: TestClient,
) -> None:
    for body in (b'{"offers": [', b"\xff\xfe", b"[" * 5_000, b'{"offers": []}'):
        response = fake_client.post(
            "/v1/scores", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 401, body[:20]
