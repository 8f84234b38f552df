"""The report opens in headless Chromium (Debian's package) with no console errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from declinerisk.train.run import TrainResult

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def test_report_loads_without_console_errors(
    chromium: str, trained: TrainResult, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    report = trained.folder / "report.html"
    problems: list[str] = []
    shot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url[:60]}"))
        page.goto(report.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => e.complete && e.naturalWidth > 100)"
        )
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert problems == []
    assert images and all(images), "every chart decodes to a real image"
    assert "Fairness audit" in headings
    assert shot.stat().st_size > 50_000
