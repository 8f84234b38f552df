"""Scoped API keys: a key outside its scope gets 403; unscoped digests keep every scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from declinerisk_service.app import create_app
from declinerisk_service.auth import key_digest
from declinerisk_service.scopes import SCOPES, parse_grant
from tests.service.helpers import API_KEY, fake_loader, offer, settings_for

SCORE_KEY = "score-only-key-0001"
ADMIN_KEY = "admin-only-key-0002"


@pytest.fixture
def scoped_client(tmp_path: Path) -> Iterator[TestClient]:
    hashes = [
        key_digest(API_KEY),  # no scopes: every scope (keys configured before scopes existed)
        f"{key_digest(SCORE_KEY)}:score",
        f"{key_digest(ADMIN_KEY)}:admin+model",
    ]
    settings = settings_for(tmp_path, api_key_hashes=hashes)
    app = create_app(settings, loader=fake_loader())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_score_key_scores_but_gets_403_on_outcomes_and_reload(
    scoped_client: TestClient,
) -> None:
    key = {"X-API-Key": SCORE_KEY}
    assert (
        scoped_client.post("/v1/scores", json={"offers": [offer()]}, headers=key).status_code == 200
    )
    outcome = {"offer_id": "o-1", "event_id": "e-1", "outcome": "accepted"}
    for path, body in (("/v1/outcomes", outcome), ("/v1/admin/reload", None)):
        refused = scoped_client.post(path, json=body, headers=key)
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "forbidden" and error["status"] == 403
        assert SCORE_KEY not in refused.text


def test_an_admin_key_reloads_and_may_not_score(scoped_client: TestClient) -> None:
    key = {"Authorization": f"Bearer {ADMIN_KEY}"}
    reloaded = scoped_client.post("/v1/admin/reload", headers=key)
    assert reloaded.status_code == 200 and reloaded.json()["reloaded"] is True
    assert scoped_client.get("/v1/model", headers=key).status_code == 200
    refused = scoped_client.post("/v1/scores", json={"offers": [offer()]}, headers=key)
    assert refused.status_code == 403


def test_an_unscoped_digest_keeps_every_scope(scoped_client: TestClient) -> None:
    key = {"X-API-Key": API_KEY}
    assert scoped_client.post("/v1/admin/reload", headers=key).status_code == 200
    assert (
        scoped_client.post("/v1/scores", json={"offers": [offer()]}, headers=key).status_code == 200
    )
    assert parse_grant(key_digest(API_KEY)).scopes == frozenset(SCOPES)


def test_wrong_keys_still_get_401_not_403(scoped_client: TestClient) -> None:
    assert scoped_client.post("/v1/admin/reload", headers={"X-API-Key": "nope"}).status_code == 401
    assert scoped_client.post("/v1/admin/reload").status_code == 401


@pytest.mark.parametrize("entry", ["abc:score", f"{key_digest('k')}:root", f"{key_digest('k')}:"])
def test_settings_refuse_bad_digests_and_unknown_scopes(tmp_path: Path, entry: str) -> None:
    with pytest.raises(ValidationError):
        settings_for(tmp_path, api_key_hashes=[entry])


def test_openapi_declares_both_key_schemes(scoped_client: TestClient) -> None:
    document = scoped_client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    security = document["paths"]["/v1/scores"]["post"]["security"]
    assert {"APIKeyHeader": []} in security and {"HTTPBearer": []} in security
    assert "security" not in document["paths"]["/healthz"]["get"]
