"""The Greenhouse connector under generated, correctly signed deliveries: the signature
check cannot shield the parser, so the parser itself must answer every body with a 2xx or
a 4xx, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declinerisk.connectors.greenhouse import signature
from tests.service.test_greenhouse import ROUTE, SECRET, greenhouse_app

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
FIELD = st.one_of(
    SCALARS,
    st.fixed_dictionaries({"name": st.text(max_size=5), "type": st.text(max_size=8)}),
    st.dictionaries(st.sampled_from(["value", "amount", "name", "unit"]), SCALARS, max_size=3),
)
OFFER = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.integers(), st.text(max_size=10), st.none()),
        "application_id": st.one_of(st.integers(), st.text(max_size=10), SCALARS),
        "version": SCALARS,
        "sent_on": st.one_of(SCALARS, st.dates().map(str), st.datetimes().map(str)),
        "resolved_at": st.one_of(SCALARS, st.datetimes().map(str)),
        "offer_status": st.one_of(
            st.sampled_from(["Created", "Accepted", "Rejected", "Deprecated"]), SCALARS
        ),
        "custom_fields": st.one_of(
            SCALARS,
            st.dictionaries(
                st.sampled_from(
                    ["competing_offers", "comp_delta_pct", "counteroffer_expected", "level", "x"]
                ),
                FIELD,
                max_size=5,
            ),
        ),
    },
)
DELIVERY = st.one_of(
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(["offer_created", "offer_updated", "offer_deleted", "x"]),
            "payload": st.one_of(OFFER, SCALARS),
        }
    ),
    st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=5),
)
SEEN: list[int] = []


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = greenhouse_app(tmp_path_factory.mktemp("fuzz-gh"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(delivered=DELIVERY, event=st.integers(0, 50))
def test_signed_generated_deliveries_never_get_5xx(
    client: TestClient, delivered: Any, event: int
) -> None:
    body = json.dumps(delivered, allow_nan=True).encode()
    headers = {
        "Signature": signature(SECRET, body),
        "Greenhouse-Event-ID": f"fuzz-{event}",
        "Content-Type": "application/json",
    }
    answer = client.post(ROUTE, content=body, headers=headers)
    SEEN.append(answer.status_code)
    assert answer.status_code < 500, answer.text
    assert answer.status_code in (200, 422)


def test_the_fuzzed_deliveries_reached_every_outcome() -> None:
    print(f"connector fuzz statuses: {sorted(set(SEEN))} over {len(SEEN)} deliveries")
    assert len(SEEN) >= 400 and {200, 422} <= set(SEEN)
