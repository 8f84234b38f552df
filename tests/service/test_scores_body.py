"""The scoring route reads its own body (``json_body.validated_body``): every request gets what
a FastAPI body parameter of the same model would give it, status and error body alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from declinerisk_service import errors, json_body
from declinerisk_service.schemas import ScoresRequest

OFFER = {"offer_id": "a", "days_in_process": 10, "contacts_per_week": 1}
BODY = json.dumps({"offers": [OFFER]}).encode()
JSON = {"content-type": "application/json"}
CASES: dict[str, dict[str, Any]] = {
    "valid": {"content": BODY, "headers": JSON},
    "no body": {},
    "empty body": {"content": b"", "headers": JSON},
    "invalid JSON": {"content": b'{"offers": [', "headers": JSON},
    "trailing garbage": {"content": BODY + b"x", "headers": JSON},
    "NaN (read by the standard library)": {"content": b'{"offers": [NaN]}', "headers": JSON},
    "huge integer": {"content": b'{"offers": [' + b"9" * 400 + b"]}", "headers": JSON},
    "not UTF-8": {"content": b'{"offers": ["\xff"]}', "headers": JSON},
    "text/plain": {"content": BODY, "headers": {"content-type": "text/plain"}},
    "no content type": {"content": BODY},
    "charset": {"content": BODY, "headers": {"content-type": "application/json; charset=utf-8"}},
    "+json": {"content": BODY, "headers": {"content-type": "application/vnd.api+json"}},
    "upper case": {"content": BODY, "headers": {"content-type": "Application/JSON"}},
    "an extra key": {"content": b'{"offers": [1], "x": 1}', "headers": JSON},
    "a list": {"content": b"[1]", "headers": JSON},
    "null": {"content": b"null", "headers": JSON},
    "no offers": {"content": b"{}", "headers": JSON},
    "empty offers": {"content": b'{"offers": []}', "headers": JSON},
    "an integer beyond 64 bits": {
        "content": b'{"offers": [{"offer_id": 12345678901234567890123}]}',
        "headers": JSON,
    },
    "the most negative 64-bit integer less one": {
        "content": b'{"offers": [-9223372036854775809]}',
        "headers": JSON,
    },
    "nesting too deep to read": {"content": b"[" * 60_000, "headers": JSON},
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.post("/fastapi")
    async def by_fastapi(body: ScoresRequest) -> dict[str, int]:
        return {"offers": len(body.offers)}

    @app.post("/ours")
    async def by_us(request: Request) -> dict[str, int]:
        body = await json_body.validated_body(request, ScoresRequest)
        return {"offers": len(body.offers)}

    @app.post("/echo")
    async def echo(request: Request) -> list[Any]:
        return list((await json_body.validated_body(request, ScoresRequest)).offers)

    return TestClient(app)


@pytest.mark.parametrize("case", list(CASES))
def test_the_route_reads_a_body_as_fastapi_would(client: TestClient, case: str) -> None:
    theirs = client.post("/fastapi", **CASES[case])
    ours = client.post("/ours", **CASES[case])
    assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())


def test_the_cases_cover_success_refusals_and_unparsable_bodies(client: TestClient) -> None:
    statuses = {client.post("/ours", **kwargs).status_code for kwargs in CASES.values()}
    assert statuses == {200, 400, 422}


def test_a_big_integer_id_stays_whole(client: TestClient) -> None:
    body = b'{"offers": [{"offer_id": 12345678901234567890123}]}'
    assert client.post("/echo", content=body, headers=JSON).json() == [
        {"offer_id": 12345678901234567890123}
    ]


@pytest.mark.parametrize("digits", [18, 19, 20, 40])
@pytest.mark.parametrize("sign", ["", "-"])
def test_any_long_integer_anywhere_reads_as_the_standard_library_reads_it(
    digits: int, sign: str
) -> None:
    number = sign + "9" * digits
    bodies = [
        f"[{number}]",
        f'{{"offers": [{{"a": 1.5, "n": {number}}}]}}',
        f'{{"n": {number}, "offers": []}}',
        f'{{"offers": [{{"offer_id": "{number}", "x": 0.12345678901234567}}], "n": {number}}}',
    ]
    for body in bodies:
        read = json_body._json(body.encode())
        assert read == json.loads(body)
        assert json.dumps(read) == json.dumps(json.loads(body))  # ints stay ints
