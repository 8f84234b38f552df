"""``/docs`` renders in headless Chromium with every request off 127.0.0.1 aborted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient

from declinerisk_service.app import create_app
from tests.service.helpers import fake_loader, settings_for
from tests.test_report_browser import FLAGS, chromium  # noqa: F401  (the fixture)

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow


def test_docs_load_swagger_ui_from_the_service_itself(fake_client: TestClient) -> None:
    page = fake_client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert fake_client.get(f"/static/swagger-ui/{asset}").status_code == 200
    assert fake_client.get("/redoc").status_code == 404


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real app (fake model) served by uvicorn on a free 127.0.0.1 port."""
    app = create_app(settings_for(tmp_path), loader=fake_loader())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
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


def test_docs_render_with_the_network_cut_off(chromium: str, server: str) -> None:  # noqa: F811
    from playwright.sync_api import Route, sync_playwright

    failed: list[str] = []
    errors: list[str] = []
    blocked: list[str] = []
    local: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            local.append(url)
            route.continue_()
        else:
            blocked.append(url[:80])
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=[*FLAGS, "--headless"]
        )
        page = browser.new_page()
        page.route("**/*", only_local)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url[:80]))
        page.goto(f"{server}/docs", wait_until="networkidle")
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = page.eval_on_selector_all(
            ".opblock-summary-path", "els => els.map(e => e.textContent)"
        )
        title = page.text_content(".info .title") or ""
        browser.close()
    assert blocked == [] and failed == [] and errors == []
    assert "/v1/scores" in paths
    assert "declinerisk" in title
    assert any(u.endswith("/static/swagger-ui/swagger-ui-bundle.js") for u in local)
