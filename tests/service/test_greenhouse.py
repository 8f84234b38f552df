"""The Greenhouse connector against Greenhouse's documented offer payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk.connectors.greenhouse import signature
from declinerisk_service.app import create_app
from tests.service.helpers import fake_loader, settings_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "greenhouse"
MAPPING = Path(__file__).parents[2] / "training" / "greenhouse.example.toml"
SECRET = "greenhouse-hook-secret"
ROUTE = "/v1/connectors/greenhouse"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def delivery(body: bytes, event_id: str, secret: str = SECRET) -> dict[str, str]:
    return {
        "Signature": signature(secret, body),
        "Greenhouse-Event-ID": event_id,
        "Content-Type": "application/json",
    }


def post(client: TestClient, name: str, event_id: str) -> Any:
    body = fixture(name)
    return client.post(ROUTE, content=body, headers=delivery(body, event_id))


def greenhouse_app(tmp_path: Path, **overrides: Any) -> Any:
    settings = settings_for(
        tmp_path, greenhouse_secret=SECRET, greenhouse_mapping=MAPPING, **overrides
    )
    return create_app(settings, loader=fake_loader())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(greenhouse_app(tmp_path), raise_server_exceptions=False) as c:
        yield c


def store_of(client: TestClient) -> Any:
    return client.app.state.runtime.store  # type: ignore[attr-defined]


def test_documented_offer_created_with_mapped_fields_is_scored_and_stored(
    client: TestClient,
) -> None:
    answer = post(client, "offer_created_open.json", "evt-1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["result"] == "scored" and body["offer_id"] == "greenhouse-234556"
    assert body["decline_probability"] == pytest.approx(0.2)  # the fake: competing / 10
    assert any(w.startswith("days_in_process: not mapped, and Harvest") for w in body["warnings"])
    [record] = store_of(client).scores("greenhouse-234556")
    inputs = record.inputs
    assert inputs["competing_offers"] == 2 and inputs["comp_delta_pct"] == -8.5
    assert inputs["counteroffer_expected"] is True and inputs["requires_relocation"] is False
    assert inputs["role_level"] == "senior" and inputs["offer_date"] == "2013-03-22"
    assert inputs["days_in_process"] is None


def test_an_updated_open_version_is_scored_again_on_the_same_offer(client: TestClient) -> None:
    post(client, "offer_created_open.json", "evt-1")
    answer = post(client, "offer_updated_open.json", "evt-2")
    assert answer.json()["result"] == "scored"
    records = store_of(client).scores("greenhouse-234556")
    assert [r.inputs["competing_offers"] for r in records] == [2, 6]


def test_accepted_and_rejected_become_outcomes_decided_at_resolved_at(client: TestClient) -> None:
    accepted = post(client, "offer_created.json", "evt-a")  # documented: offer_status Accepted
    rejected = post(client, "offer_updated_rejected.json", "evt-r")
    assert accepted.json()["result"] == rejected.json()["result"] == "outcome_recorded"
    outcomes = store_of(client).outcomes()
    assert [(o.offer_id, o.outcome, o.source) for o in outcomes] == [
        ("greenhouse-234556", "accepted", "greenhouse"),
        ("greenhouse-234556", "declined", "greenhouse"),
    ]
    assert outcomes[0].decided_at.isoformat().startswith("2013-03-25T00:00")
    assert outcomes[1].decided_at.isoformat().startswith("2013-03-27T15:04")
    assert store_of(client).scores("greenhouse-234556") == []


def test_deprecated_versions_and_unknown_actions_are_ignored_and_counted(
    client: TestClient,
) -> None:
    deprecated = post(client, "offer_updated.json", "evt-d")  # documented: Deprecated
    deleted = post(client, "offer_deleted.json", "evt-x")
    body = json.dumps({"action": "ping", "payload": {"web_hook_id": 1}}).encode()
    ping = client.post(ROUTE, content=body, headers=delivery(body, "evt-p"))
    for answer in (deprecated, ping):
        assert answer.status_code == 200 and answer.json()["result"] == "ignored"
    # offer_deleted (a candidate anonymized) erases the offer: tests/service/test_data_protection
    assert deleted.status_code == 200 and deleted.json()["result"] == "erased"
    assert deprecated.json()["reason"] == "a deprecated offer version"
    assert "ping" not in ping.text  # the submitted action is not echoed
    assert store_of(client).scores("greenhouse-234556") == []
    assert store_of(client).outcomes() == []
    metrics = client.get("/metrics").text
    line = 'declinerisk_connector_deliveries_total{connector="greenhouse",result="ignored"} 2.0'
    assert line in metrics
    assert 'declinerisk_connector_deliveries_total{connector="greenhouse",result="erased"} 1.0' in (
        metrics
    )


@pytest.mark.parametrize("headers", ["wrong", "missing", "equals"])
def test_wrong_or_missing_signatures_get_401(client: TestClient, headers: str) -> None:
    body = fixture("offer_created_open.json")
    sent = delivery(body, "evt-s")
    if headers == "wrong":
        sent["Signature"] = signature("another-secret", body)
    elif headers == "missing":
        del sent["Signature"]
    else:  # "sha256=<hex>" is not Greenhouse's format
        sent["Signature"] = sent["Signature"].replace(" ", "=")
    answer = client.post(ROUTE, content=body, headers=sent)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert store_of(client).scores("greenhouse-234556") == []


def test_a_tampered_body_gets_401(client: TestClient) -> None:
    body = fixture("offer_created_open.json")
    sent = delivery(body, "evt-t")
    answer = client.post(ROUTE, content=body.replace(b"234556", b"234557"), headers=sent)
    assert answer.status_code == 401


def test_without_a_configured_secret_every_delivery_is_refused(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path), loader=fake_loader())
    with TestClient(app) as plain:
        body = fixture("offer_created_open.json")
        assert plain.post(ROUTE, content=body, headers=delivery(body, "e")).status_code == 401


def test_the_same_event_id_is_processed_once_even_after_a_restart(tmp_path: Path) -> None:
    with TestClient(greenhouse_app(tmp_path)) as first:
        assert post(first, "offer_created_open.json", "evt-1").json()["result"] == "scored"
        assert post(first, "offer_created_open.json", "evt-1").json()["result"] == "duplicate"
    with TestClient(greenhouse_app(tmp_path)) as second:
        again = post(second, "offer_created_open.json", "evt-1")
        assert again.status_code == 200 and again.json()["result"] == "duplicate"
        assert len(store_of(second).scores("greenhouse-234556")) == 1


def test_the_same_outcome_under_a_new_event_id_is_recorded_once(client: TestClient) -> None:
    post(client, "offer_created.json", "evt-a")
    assert post(client, "offer_created.json", "evt-b").json()["result"] == "duplicate"
    assert len(store_of(client).outcomes()) == 1


def test_unusable_custom_fields_get_422_naming_the_field_not_the_value(
    client: TestClient,
) -> None:
    delivered = json.loads(fixture("offer_created_open.json"))
    delivered["payload"]["custom_fields"]["competing_offers"]["value"] = "plenty-SECRET"
    delivered["payload"]["custom_fields"]["comp_delta_pct"]["value"] = 5000
    body = json.dumps(delivered).encode()
    answer = client.post(ROUTE, content=body, headers=delivery(body, "evt-bad"))
    assert answer.status_code == 422
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert fields == {"custom_fields.competing_offers", "custom_fields.comp_delta_pct"}
    assert "plenty-SECRET" not in answer.text and "5000" not in answer.text
    assert store_of(client).scores("greenhouse-234556") == []


def test_a_handled_action_without_an_offer_gets_422(client: TestClient) -> None:
    body = json.dumps({"action": "offer_created", "payload": {"notes": "x"}}).encode()
    answer = client.post(ROUTE, content=body, headers=delivery(body, "evt-empty"))
    assert answer.status_code == 422
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert {"payload.id", "payload.application_id"} <= fields
