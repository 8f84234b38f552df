"""What the API coerces, what it refuses, and how each refusal names the field (issue 10)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Kind
from declinerisk_service.app import create_app
from tests.service.helpers import AUTH, CONTRACT_FEATURES, fake_loader, offer, settings_for, signed


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"status", "code", "message", "details"}
    return error


def test_iso_date_integer_id_and_integral_float_are_accepted(fake_client: TestClient) -> None:
    body = {
        "offers": [offer(12345, offer_date="2026-07-01", interview_experience=2.0)]  # type: ignore[arg-type]
    }
    response = fake_client.post("/v1/scores", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["scores"][0]["offer_id"] == "12345"
    runtime = fake_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.recorder.flush()
    (record,) = runtime.store.scores("12345")
    assert record.inputs["offer_date"] == "2026-07-01"
    assert record.inputs["interview_experience"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interview_experience": 2.5}, "offers.0.interview_experience"),
        ({"competing_offers": 1.0000001}, "offers.0.competing_offers"),
        ({"interview_experience": "2"}, "offers.0.interview_experience"),
        ({"competing_offers": True}, "offers.0.competing_offers"),
        ({"offer_id": True}, "offers.0.offer_id"),
        ({"offer_id": 1.5}, "offers.0.offer_id"),
        ({"offer_date": "01/07/2026"}, "offers.0.offer_date"),
        ({"offer_date": 20260701}, "offers.0.offer_date"),
    ],
)
def test_what_is_not_coerced_stays_a_422(
    fake_client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = fake_client.post("/v1/scores", json={"offers": [offer(**change)]}, headers=AUTH)
    assert field in [d["field"] for d in _error(response, 422)["details"]]


def test_the_openapi_schema_documents_the_coercions(fake_client: TestClient) -> None:
    spec = json.dumps(fake_client.get("/openapi.json").json())
    assert "integral numbers written as floats" in spec
    assert "integer kept as text" in spec


@pytest.fixture
def extras_client(tmp_path: Path) -> Iterator[TestClient]:
    """A fake model whose inputs include a numeric and a categorical extra column."""
    features = FeatureSet(
        (
            *CONTRACT_FEATURES.columns,
            schema.extra_column("tenure_years", Kind.NUMBER),
            schema.extra_column("office", Kind.CATEGORY),
        )
    )
    app = create_app(settings_for(tmp_path), loader=fake_loader(features))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tenure_years": "Jane Doe"}, "offers.0.extra.tenure_years"),
        ({"tenure_years": float("inf")}, "offers.0.extra.tenure_years"),
        ({"office": 3.0}, "offers.0.extra.office"),
        ({"not_an_input": 1.0}, "offers.0.extra.not_an_input"),
    ],
)
def test_extras_are_typed_by_the_served_model(
    extras_client: TestClient, extra: dict[str, Any], field: str
) -> None:
    body = json.dumps({"offers": [offer(extra=extra)]}).replace("Infinity", "1e999")
    response = extras_client.post(
        "/v1/scores", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    error = _error(response, 422)
    assert [d["field"] for d in error["details"]] == [field]
    assert "Jane" not in response.text


def test_well_typed_extras_are_scored(extras_client: TestClient) -> None:
    body = {"offers": [offer(extra={"tenure_years": 4, "office": "Berlin"})]}
    assert extras_client.post("/v1/scores", json=body, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    # b"\xb2" is "²" in Latin-1, which str.isdigit() accepts and int() refuses.
    "stamp",
    [b"1" + b"0" * 399, b"9" * 5000, b"\xb2\xb2\xb2", b"-1", b"1e9", b" 1700000000"],
)
def test_absurd_webhook_timestamps_are_a_401(fake_client: TestClient, stamp: bytes) -> None:
    body = json.dumps({"offer_id": "o-9", "event_id": "evt-9", "outcome": "accepted"}).encode()
    headers: dict[str, Any] = {**signed(body), "X-DeclineRisk-Timestamp": stamp}
    response = fake_client.post("/v1/webhooks/outcomes", content=body, headers=headers)
    _error(response, 401)


def test_malformed_json_is_reported_on_the_body_with_its_position(
    fake_client: TestClient,
) -> None:
    response = fake_client.post(
        "/v1/scores", content=b'{"offers": [}', headers={**AUTH, "Content-Type": "application/json"}
    )
    (detail,) = _error(response, 422)["details"]
    assert detail["field"] == "body"
    assert "invalid JSON at character 12" in detail["message"]


def test_repeated_offer_ids_are_named_by_position_not_value(fake_client: TestClient) -> None:
    # The file scorer's words: rows count offers from 1 in request order (offers.0 is row 1).
    body = {"offers": [offer("Jane-1"), offer("x"), offer("Jane-1"), offer("Jane-1")]}
    response = fake_client.post("/v1/scores", json=body, headers=AUTH)
    details = _error(response, 422)["details"]
    assert details == [
        {"field": "offers.2.offer_id", "message": "duplicate offer_id (first seen at row 1)"},
        {"field": "offers.3.offer_id", "message": "duplicate offer_id (first seen at row 1)"},
    ]
    assert "Jane" not in response.text


def test_every_problem_of_a_request_is_refused_at_once_in_the_contracts_words(
    fake_client: TestClient,
) -> None:
    body = {
        "offers": [
            offer("a", counteroffer_expected="perhaps"),
            offer("b", days_in_process=900, contacts_per_week="lots"),
            offer("a", competing_offers=2.5),
            offer(None, interview_experience=9),  # type: ignore[arg-type]
        ]
    }
    details = _error(fake_client.post("/v1/scores", json=body, headers=AUTH), 422)["details"]
    assert details == [
        {"field": "offers.0.counteroffer_expected", "message": "not a yes/no value"},
        {"field": "offers.1.contacts_per_week", "message": "not a number"},
        {"field": "offers.1.days_in_process", "message": "must be between 0 and 730"},
        {"field": "offers.2.competing_offers", "message": "must be a whole number"},
        {"field": "offers.2.offer_id", "message": "duplicate offer_id (first seen at row 1)"},
        {"field": "offers.3.interview_experience", "message": "must be between 1 and 5"},
        {"field": "offers.3.offer_id", "message": "offer_id is missing"},
    ]


def test_liveness_says_only_what_is_true(fake_client: TestClient) -> None:
    assert fake_client.get("/healthz").json() == {"status": "ok"}
    answer = fake_client.get("/readyz")
    assert answer.json() == {
        "status": "ready",
        "model_version": "fake-1",
        "store": "ok",
        "worker": str(os.getpid()),
        "model_generation": 0,
        "reload_error": None,
    }
    assert answer.headers["x-declinerisk-worker"] == str(os.getpid())


def test_metrics_label_docs_and_413s_by_their_route(fake_client: TestClient) -> None:
    fake_client.get("/docs")
    fake_client.get("/openapi.json")
    huge = {"offers": [offer(department="x" * 200)] * 400}
    assert fake_client.post("/v1/scores", json=huge, headers=AUTH).status_code == 413
    fake_client.get("/no/such/path")
    metrics = fake_client.get("/metrics").text
    assert 'route="/docs",status="200"' in metrics
    assert 'route="/openapi.json",status="200"' in metrics
    assert 'route="/v1/scores",status="413"' in metrics
    assert 'route="unmatched",status="404"' in metrics
    assert 'route="unmatched",status="200"' not in metrics


def test_a_refused_reload_names_neither_the_folder_nor_a_server_path(
    fake_client: TestClient,
) -> None:
    response = fake_client.post("/v1/admin/reload", json={"version": "broken"}, headers=AUTH)
    body = response.json()
    assert body["reloaded"] is False and "SHA-256" in body["reason"]
    assert "broken" not in response.text and "/srv" not in response.text
