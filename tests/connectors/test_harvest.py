"""Harvest v3 enrichment against a local stub (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk.connectors.base import UpstreamError
from declinerisk.connectors.harvest import HarvestClient, HarvestCredentials
from declinerisk_service.app import create_app
from tests.connectors.harvest_stub import HarvestStub, running
from tests.service.helpers import fake_loader, settings_for
from tests.service.test_greenhouse import MAPPING, ROUTE, SECRET, delivery, fixture

APPLICATION = {
    "id": 234556,
    "applied_at": "2013-02-10T09:30:00Z",  # 40 days before the fixture's sent_on, 2013-03-22
    "last_activity_at": "2013-03-20T12:00:00Z",
    "current_stage": {"id": 7, "name": "Offer"},
    "custom_fields": {"competing_offers": 1},
}


@pytest.fixture
def stub() -> Iterator[HarvestStub]:
    with running(HarvestStub(applications={"234556": APPLICATION})) as started:
        yield started


def client_for(stub: HarvestStub, **kwargs: Any) -> HarvestClient:
    credentials = HarvestCredentials(
        "client-id", "client-secret", "42", base_url=stub.url, token_url=f"{stub.url}/token"
    )
    return HarvestClient(credentials, **kwargs)


def test_an_offer_applied_40_days_before_sent_on_scores_with_days_in_process_40(
    tmp_path: Path, stub: HarvestStub
) -> None:
    settings = settings_for(
        tmp_path,
        greenhouse_secret=SECRET,
        greenhouse_mapping=MAPPING,
        harvest_client_id="client-id",
        harvest_client_secret="client-secret",
        harvest_base_url=stub.url,
        harvest_token_url=f"{stub.url}/token",
    )
    with TestClient(create_app(settings, loader=fake_loader())) as client:
        body = fixture("offer_created_open.json")
        answer = client.post(ROUTE, content=body, headers=delivery(body, "evt-h"))
        assert answer.status_code == 200, answer.text
        assert not any(w.startswith("days_in_process") for w in answer.json()["warnings"])
        [record] = client.app.state.runtime.store.scores("greenhouse-234556")  # type: ignore[attr-defined]
    assert record.inputs["days_in_process"] == 40
    assert record.inputs["days_since_last_contact"] >= 0
    # The offer's own custom field wins over the application's.
    assert record.inputs["competing_offers"] == 2


def test_pages_are_followed_by_their_cursor_link(stub: HarvestStub) -> None:
    facts = client_for(stub).application("234556")
    assert facts.applied_at is not None and facts.applied_at.day == 10
    assert facts.stage == "Offer"
    paths = [path for _, path, _ in stub.calls if path.startswith("/v3")]
    assert paths == ["/v3/applications?ids=234556", "/v3/applications?cursor=234556"]


def test_a_429_is_retried_after_its_retry_after(stub: HarvestStub) -> None:
    stub.throttle, stub.retry_after = 1, "1"
    facts = client_for(stub).application("234556")
    assert facts.stage == "Offer"
    listed = [(at, status) for at, path, status in stub.calls if path.startswith("/v3")]
    assert [status for _, status in listed] == [429, 200, 200]
    waited = listed[1][0] - listed[0][0]
    assert 0.95 <= waited < 5, waited


def test_throttling_beyond_the_retries_is_an_upstream_error(stub: HarvestStub) -> None:
    stub.throttle, stub.retry_after = 10, "0"
    with pytest.raises(UpstreamError, match="429"):
        client_for(stub, max_retries=2).application("234556")


def test_an_expired_token_is_refreshed_once(stub: HarvestStub) -> None:
    stub.expire_first_token = True
    client = client_for(stub)
    assert client.application("234556").stage == "Offer"
    assert client.application("234556").stage == "Offer"  # the new token is reused
    assert stub.token_requests == 2
    statuses = [status for _, path, status in stub.calls if path.startswith("/v3")]
    assert statuses == [401, 200, 200, 200, 200]


def test_a_token_that_stays_refused_is_an_error_after_one_refresh(stub: HarvestStub) -> None:
    stub.revoked = True
    with pytest.raises(UpstreamError, match="401"):
        client_for(stub).application("234556")
    assert stub.token_requests == 2
    assert [s for _, p, s in stub.calls if p.startswith("/v3")] == [401, 401]
