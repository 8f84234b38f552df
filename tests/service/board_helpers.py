"""Shared by the board's tests: settings with a session secret and keys of each kind, the
demo files, and a signed-in client's CSRF token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from declinerisk.data.synthetic import demo_offers
from declinerisk.train.run import TrainResult
from declinerisk_service.auth import key_digest
from declinerisk_service.settings import ServiceSettings
from tests.service.helpers import API_KEY, settings_for

SECRET = "board-test-secret-0123456789-abcdefghij"
SCORE_KEY = "score-only-key-0123456789"
BOARD_KEY = "board-only-key-0123456789"
INVALID_ROWS = (17, 500, 998)


def board_settings(tmp_path: Path, trained: TrainResult, **overrides: Any) -> ServiceSettings:
    models = trained.folder.parent
    values: dict[str, Any] = {
        "models_dir": models,
        "model": str(models / "latest"),
        "api_key_hashes": [
            key_digest(API_KEY),
            f"{key_digest(SCORE_KEY)}:score",
            f"{key_digest(BOARD_KEY)}:board",
        ],
        "session_secret": SECRET,
        "board_uploads_dir": tmp_path / "uploads",
        "max_body_bytes": 8 << 20,
    }
    values.update(overrides)
    return settings_for(tmp_path, **values)


def open_demo(path: Path, rows: int = 2000, seed: int = 8) -> Path:
    """``declinerisk demo-data --rows 2000 --seed 8 --open`` as a CSV."""
    demo_offers(rows, seed, open_=True).to_csv(path, index=False)
    return path


def upload_with_invalid_rows(path: Path) -> Path:
    """1,000 other open offers, three of them invalid (rows counted from 1)."""
    frame = demo_offers(1000, 9, open_=True).astype({"days_in_process": object})
    frame["offer_id"] = [f"up-{i:05d}" for i in range(1, 1001)]
    frame.loc[INVALID_ROWS[0] - 1, "days_in_process"] = -5
    frame.loc[INVALID_ROWS[1] - 1, "days_in_process"] = "secret-text-value"
    frame.loc[INVALID_ROWS[2] - 1, "competing_offers"] = 99
    frame.to_csv(path, index=False)
    return path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, key: str = BOARD_KEY) -> Any:
    token = csrf_of(client.get("/board/signin").text)
    return client.post(
        "/board/signin", data={"api_key": key, "csrf_token": token}, follow_redirects=False
    )


def upload(client: TestClient, path: Path) -> Any:
    token = csrf_of(client.get("/board/upload").text)
    with path.open("rb") as handle:
        return client.post(
            "/board/upload",
            data={"csrf_token": token},
            files={"file": (path.name, handle, "text/csv")},
        )


def scored_rows(text: str) -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(text))
