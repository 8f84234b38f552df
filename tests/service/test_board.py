"""The recruiter board through the app (TestClient): sign-in, CSRF, pages, outcome, upload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError

from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.validation import validate_offers
from declinerisk.monitoring.decline_reasons import summarise
from declinerisk.store.database import open_store
from declinerisk.store.open_offers import action_notes
from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from declinerisk_service.board import routes as board_routes
from tests.service.board_helpers import (
    INVALID_ROWS,
    SCORE_KEY,
    board_settings,
    csrf_of,
    open_demo,
    scored_rows,
    sign_in,
    upload,
    upload_with_invalid_rows,
)
from tests.service.helpers import API_KEY, settings_for


@pytest.fixture
def client(tmp_path: Path, trained: TrainResult) -> Iterator[TestClient]:
    app = create_app(board_settings(tmp_path, trained))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def seeded(client: TestClient, tmp_path: Path) -> TestClient:
    """Signed in, with 300 demo open offers scored into the store through an upload."""
    assert sign_in(client).status_code == 303
    page = upload(client, open_demo(tmp_path / "open.csv", rows=300))
    assert "300 scored" in page.text
    return client


def test_board_is_off_without_a_session_secret(tmp_path: Path, trained: TrainResult) -> None:
    app = create_app(board_settings(tmp_path, trained, session_secret=None))
    with TestClient(app) as c:
        for path in ("/board", "/board/signin", "/board/offers/1"):
            page = c.get(path, follow_redirects=False)
            assert page.status_code == 503
            assert "DECLINERISK_SESSION_SECRET" in page.text


def test_a_short_session_secret_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="session_secret"):
        settings_for(tmp_path, session_secret="too-short")


def test_every_board_route_redirects_to_sign_in_without_a_session(client: TestClient) -> None:
    routes = [
        r
        for r in board_routes.router.routes
        if isinstance(r, APIRoute) and r.path != "/board/signin"
    ]
    assert len(routes) >= 11
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            answer = client.request(method, path, follow_redirects=False)
            assert answer.status_code == 303, (method, route.path)
            assert answer.headers["location"] == "/board/signin"


def test_a_score_only_key_cannot_sign_in(client: TestClient) -> None:
    refused = sign_in(client, SCORE_KEY)
    assert refused.status_code == 401
    assert SCORE_KEY not in refused.text and "board scope" in refused.text
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_a_key_with_every_scope_signs_in_to_an_http_only_strict_cookie(client: TestClient) -> None:
    answer = sign_in(client, API_KEY)
    assert answer.status_code == 303 and answer.headers["location"] == "/board"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/board" in cookie
    assert API_KEY.lower() not in cookie
    assert client.get("/board").status_code == 200


def test_a_tampered_cookie_is_no_session(client: TestClient) -> None:
    sign_in(client)
    value = client.cookies.get("declinerisk_board")
    assert value
    body, mac = value.split(".")
    client.cookies.set("declinerisk_board", f"{body}.{'0' * len(mac)}", path="/board")
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_form_posts_without_the_csrf_token_get_403(seeded: TestClient) -> None:
    ref = re.search(r'href="/board/offers/(\d+)"', seeded.get("/board").text)
    assert ref
    posts = {
        "/board/signin": {"api_key": API_KEY},
        "/board/search": {"offer_id": "open-0000001"},
        f"/board/offers/{ref.group(1)}/outcome": {"outcome": "accepted"},
        f"/board/offers/{ref.group(1)}/action-done": {"note": "called"},
        "/board/upload": {},
        "/board/signout": {},
    }
    for path, data in posts.items():
        for token in (None, "forged"):
            body = data if token is None else {**data, "csrf_token": token}
            files = {"file": ("x.csv", b"offer_id\n1\n", "text/csv")} if "upload" in path else None
            answer = seeded.post(path, data=body, files=files, follow_redirects=False)
            assert answer.status_code == 403, path
            assert answer.json()["error"]["status"] == 403  # the one documented error body
    assert seeded.get("/board").status_code == 200  # still signed in: nothing was done


def test_board_lists_open_offers_riskiest_first_and_filters(seeded: TestClient) -> None:
    page = seeded.get("/board").text
    assert "300 open offers" in page
    probabilities = [int(p) for p in re.findall(r'class="prob">(\d+)%', page)]
    assert len(probabilities) == 300 and probabilities == sorted(probabilities, reverse=True)
    assert "(model's estimate)" in page and " → " in page
    high = seeded.get("/board", params={"department": "engineering", "band": "high"}).text
    heads = re.findall(r'class="band">(\w+)</span>\s*<span class="dept">(\w+)', high)
    assert heads and all(h == ("high", "engineering") for h in heads)
    assert len(heads) < 300


def test_search_posts_the_id_and_redirects_to_an_opaque_url(seeded: TestClient) -> None:
    token = csrf_of(seeded.get("/board").text)
    found = seeded.post(
        "/board/search",
        data={"offer_id": "open-0000007", "csrf_token": token},
        follow_redirects=False,
    )
    assert found.status_code == 303
    assert re.fullmatch(r"/board/offers/\d+", found.headers["location"])
    assert "Offer open-0000007" in seeded.get(found.headers["location"]).text
    missing = seeded.post("/board/search", data={"offer_id": "nobody-42", "csrf_token": token})
    assert missing.status_code == 404 and "nobody-42" not in missing.text


def _first_offer(client: TestClient) -> tuple[str, str]:
    found = re.search(r'href="(/board/offers/\d+)">([^<]+)</a>', client.get("/board").text)
    assert found
    return found.group(1), found.group(2)


def test_recording_a_decline_writes_the_outcome_and_closes_the_offer(
    seeded: TestClient, tmp_path: Path
) -> None:
    url, offer_id = _first_offer(seeded)
    page = seeded.get(url)
    assert "<svg" in page.text and "Every score of this offer" in page.text
    answer = seeded.post(
        f"{url}/outcome",
        data={
            "outcome": "declined",
            "decline_reason": "compensation",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert answer.status_code == 200 and "Outcome recorded: declined (compensation)" in answer.text
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    (outcome,) = [o for o in store.outcomes() if o.offer_id == offer_id]
    assert (outcome.outcome, outcome.decline_reason, outcome.source) == (
        "declined",
        "compensation",
        "board",
    )
    assert offer_id not in seeded.get("/board").text
    # What `declinerisk reasons --data <store url>` reads and counts.
    frame = store.training_frame()
    offers = validate_offers(frame, ColumnMapping(), source="store", purpose="train")
    summary = summarise(offers.valid())
    assert summary.declines == 1
    assert "compensation" in summary.by_department.columns


def test_an_unknown_decline_reason_is_refused(seeded: TestClient) -> None:
    url, _ = _first_offer(seeded)
    token = csrf_of(seeded.get(url).text)
    bad = seeded.post(
        f"{url}/outcome", data={"outcome": "declined", "decline_reason": "x", "csrf_token": token}
    )
    assert bad.status_code == 422


def test_marking_the_action_done_stores_a_note(seeded: TestClient, tmp_path: Path) -> None:
    url, offer_id = _first_offer(seeded)
    token = csrf_of(seeded.get(url).text)
    page = seeded.post(f"{url}/action-done", data={"note": "called today", "csrf_token": token})
    assert "called today" in page.text
    (note,) = action_notes(open_store(f"sqlite:///{tmp_path}/store.db"), offer_id)
    assert note.note == "called today" and note.action


def test_upload_scores_valid_rows_lists_refused_ones_and_serves_the_file(
    seeded: TestClient, tmp_path: Path
) -> None:
    page = upload(seeded, upload_with_invalid_rows(tmp_path / "batch.csv"))
    assert page.status_code == 200
    assert "1,000 rows read, 997 scored, 3 refused" in page.text
    listed = [int(r) for r in re.findall(r"<tr><td>(\d+)</td>", page.text)]
    assert listed == list(INVALID_ROWS)
    assert "secret-text-value" not in page.text and "99" not in re.findall(
        r"<td>(\w+)</td>", page.text
    )
    link = re.search(r'href="(/board/uploads/[0-9a-f]{32}/scored.csv)"', page.text)
    assert link
    scored = scored_rows(seeded.get(link.group(1)).text)
    assert len(scored) == 997 and "decline_probability" in scored.columns
    (kept,) = (tmp_path / "uploads").glob(f"{link.group(1).split('/')[3]}/*")
    assert kept.name == "scored.csv"  # neither the upload nor its refused values are kept
    assert "1,297 open offers" in seeded.get("/board").text
    assert seeded.get("/board/uploads/../scored.csv").status_code == 404


def test_upload_refuses_other_file_types(seeded: TestClient) -> None:
    token = csrf_of(seeded.get("/board/upload").text)
    answer = seeded.post(
        "/board/upload",
        data={"csrf_token": token},
        files={"file": ("offers.xlsx", b"x", "application/octet-stream")},
    )
    assert answer.status_code == 422 and "offers.xlsx" not in answer.text


def test_model_page_links_the_report_served_read_only(seeded: TestClient) -> None:
    page = seeded.get("/board/model").text
    assert "The current model" in page and "/board/model/report" in page
    report = seeded.get("/board/model/report")
    assert (
        report.status_code == 200
        and "default-src 'none'" in report.headers["content-security-policy"]
    )
    assert seeded.post("/board/model/report").status_code == 405
