"""The board in headless Chromium with every request off 127.0.0.1 aborted: the recruiter's
day end to end, axe-core (vendored) on each page, screenshots at desktop and phone width."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest
import uvicorn

from declinerisk.store.database import open_store
from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from tests.service.board_helpers import (
    BOARD_KEY,
    INVALID_ROWS,
    board_settings,
    open_demo,
    upload_with_invalid_rows,
)
from tests.test_report_browser import FLAGS, chromium  # noqa: F401  (the fixture)

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).parents[1] / "artifacts" / "board"


@pytest.fixture
def server(tmp_path: Path, trained: TrainResult) -> Iterator[str]:
    """The real app and model served by uvicorn on a free 127.0.0.1 port."""
    app = create_app(board_settings(tmp_path, trained))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in json.loads(result)["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_recruiter_day_in_chromium_offline(
    chromium: str,  # noqa: F811
    server: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Route, sync_playwright

    failed: list[str] = []
    errors: list[str] = []
    blocked: list[str] = []
    axe: dict[str, list[str]] = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url[:80])
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=[*FLAGS, "--headless"]
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.route("**/*", only_local)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url[:80]))

        # Sign in (by keyboard), then load the 2,000 demo open offers through the board.
        page.goto(f"{server}/board")
        assert page.url.endswith("/board/signin")
        page.get_by_label("API key").fill(BOARD_KEY)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server}/board")
        page.goto(f"{server}/board/upload")
        page.get_by_label("File (.csv or .parquet)").set_input_files(
            str(open_demo(tmp_path / "open_offers.csv"))
        )
        page.get_by_role("button", name="Score").click()
        assert "2,000 scored" in page.locator("#summary").inner_text()

        page.get_by_role("link", name="Open offers").click()
        assert page.locator("#count").inner_text().startswith("2,000 open offers")
        shown = [float(t.rstrip("%")) for t in page.locator("li.offer .prob").all_inner_texts()]
        assert len(shown) == 2000 and shown == sorted(shown, reverse=True)
        axe["board"] = serious_violations(page)
        page.screenshot(path=str(ARTIFACTS / "board-desktop.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "board-phone.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})

        # Filter to one department and the high band.
        page.get_by_label("Department").select_option("engineering")
        page.get_by_label("Band").select_option("high")
        page.get_by_role("button", name="Filter").click()
        bands = page.locator("li.offer .band").all_inner_texts()
        departments = page.locator("li.offer .dept").all_inner_texts()
        assert bands and set(bands) == {"high"} and set(departments) == {"engineering"}

        # Open the riskiest and record a decline with a reason.
        first = page.locator("li.offer a").first
        offer_id = first.inner_text()
        first.click()
        assert page.get_by_role("heading", level=1).inner_text() == f"Offer {offer_id}"
        assert page.locator("svg.chart circle").count() == 1
        axe["offer"] = serious_violations(page)
        page.screenshot(path=str(ARTIFACTS / "offer-desktop.png"), full_page=True)
        page.get_by_label("Declined").check()
        page.get_by_label("Decline reason").select_option("competing offer")
        page.get_by_role("button", name="Record outcome").click()
        assert "Outcome recorded: declined (competing offer)" in page.content()

        # Upload a file with 3 invalid rows and download the scored file.
        page.goto(f"{server}/board/upload")
        page.get_by_label("File (.csv or .parquet)").set_input_files(
            str(upload_with_invalid_rows(tmp_path / "batch.csv"))
        )
        page.get_by_role("button", name="Score").click()
        assert "997 scored, 3 refused" in page.locator("#summary").inner_text()
        rows = page.locator("#refused tbody tr td:first-child").all_inner_texts()
        assert [int(r) for r in rows] == list(INVALID_ROWS)
        assert "secret-text-value" not in page.content()
        axe["upload"] = serious_violations(page)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "upload-phone.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the scored file").click()
        scored = pd.read_csv(download.value.path())
        assert len(scored) == 997
        context.close()
        browser.close()

    print(f"board screenshots: {ARTIFACTS}")
    assert axe == {"board": [], "offer": [], "upload": []}
    assert errors == [] and failed == [] and blocked == []

    # The decline is in the store and in `declinerisk reasons --data <store url>`.
    url = f"sqlite:///{tmp_path}/store.db"
    (outcome,) = open_store(url).outcomes()
    assert (outcome.offer_id, outcome.decline_reason) == (offer_id, "competing offer")
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk",
            "reasons",
            "--data",
            url,
            "--html",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "competing offer" in report.stdout
