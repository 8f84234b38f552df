"""Schemathesis against the service's own OpenAPI schema: every operation, with and without a
key. No generated request may get a 5xx or a response that breaks the documented schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from tests.service.helpers import API_KEY, settings_for

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow

EXAMPLES = 150
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory, trained: TrainResult) -> Iterator[FastAPI]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        settings_for(
            tmp,
            models_dir=trained.folder.parent,
            model=str(trained.folder),
            max_offers_per_request=50,
        )
    )
    with TestClient(app):
        yield app


@pytest.fixture(scope="module")
def operations(fuzzed_app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    found = [result.ok() for result in schema.get_all_operations()]
    # Every route but /metrics (not part of the API schema): 8 before the Greenhouse connector
    # and the two admin event routes, 11 before the four data-protection routes (erase,
    # export, purge, audit).
    assert len(found) == 15
    return found


def _fuzz(operation: Any, with_key: bool) -> int:
    """Run generated cases against one operation; returns how many ran."""
    ran = 0

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        nonlocal ran
        ran += 1
        headers = {
            k: v
            for k, v in (case.headers or {}).items()
            if k.lower() not in ("x-api-key", "authorization")
        }
        if with_key:
            headers["X-API-Key"] = API_KEY
        case.headers = headers
        case.call_and_validate(checks=CHECKS)

    check()
    return ran


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.mark.parametrize("with_key", [True, False], ids=["with key", "without key"])
def test_fuzzed_requests_never_get_5xx_or_break_the_schema(
    operations: list[Any], with_key: bool
) -> None:
    ran = sum(_fuzz(operation, with_key) for operation in operations)
    # Each run stands alone: at least 500 generated requests, so both together fuzz >= 1,000.
    assert ran >= 500, ran
