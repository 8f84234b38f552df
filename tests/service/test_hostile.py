"""Hostile input: each answered with a 4xx and the stable error body, or stored verbatim."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.helpers import AUTH, offer


def _post(client: TestClient, content: bytes, content_type: str = "application/json") -> Any:
    return client.post(
        "/v1/scores", content=content, headers={**AUTH, "Content-Type": content_type}
    )


def _is_stable_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) == {"status", "code", "message", "details"}


def test_deeply_nested_json_is_a_4xx(fake_client: TestClient) -> None:
    depth = 50_000
    _is_stable_4xx(_post(fake_client, b"[" * depth + b"]" * depth))
    _is_stable_4xx(_post(fake_client, b'{"offers": ' + b"[" * depth + b"]" * depth + b"}"))


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("competing_offers", "1" + "0" * 400),
        ("comp_delta_pct", "1e400"),
        ("days_in_process", "-" + "9" * 50),
        ("contacts_per_week", "1" + "0" * 5000),
    ],
)
def test_huge_numbers_are_a_4xx(fake_client: TestClient, field: str, literal: str) -> None:
    body = json.dumps({"offers": [offer(**{field: 12345})]}).replace("12345", literal)
    _is_stable_4xx(_post(fake_client, body.encode()))


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"offers=1", "application/x-www-form-urlencoded"),
        (b"\x00\xff\xfe", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b'"text"', "application/json"),
        (json.dumps({"offers": [offer()]}).encode(), "text/plain"),
    ],
)
def test_wrong_bodies_and_content_types_are_a_4xx(
    fake_client: TestClient, content: bytes, content_type: str
) -> None:
    _is_stable_4xx(_post(fake_client, content, content_type))


def test_unicode_ids_and_sql_looking_categories_are_stored_verbatim(
    fake_client: TestClient,
) -> None:
    odd_id = "ñ-候选人-🙂-\u202e-'\"\\"
    injection = "sales'); DROP TABLE score_records; --"
    response = fake_client.post(
        "/v1/scores", headers=AUTH, json={"offers": [offer(odd_id, department=injection)]}
    )
    assert response.status_code == 200
    assert response.json()["scores"][0]["offer_id"] == odd_id
    runtime = fake_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.recorder.flush()
    (record,) = runtime.store.scores(odd_id)
    assert record.inputs["department"] == injection
    assert runtime.store.count_scores() == 1


def test_unknown_routes_and_methods_use_the_error_body(fake_client: TestClient) -> None:
    _is_stable_4xx(fake_client.get("/v1/nothing-here", headers=AUTH))
    _is_stable_4xx(fake_client.delete("/v1/scores", headers=AUTH))
