"""The service keeps the collector off its long-lived heap while it runs, and only then."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from declinerisk_service import heap
from declinerisk_service.app import create_app
from tests.service.helpers import AUTH, fake_loader, settings_for


def test_a_running_app_freezes_its_heap_and_a_stopped_one_gives_it_back(tmp_path: Path) -> None:
    before = gc.get_threshold()
    app = create_app(settings_for(tmp_path), loader=fake_loader())
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000  # modules, model, app: not walked by collections
        assert gc.get_threshold() == heap.THRESHOLDS
        assert client.post("/v1/admin/reload", headers=AUTH).status_code == 200
        assert gc.get_freeze_count() > 10_000  # collected, then frozen again
        assert gc.get_threshold() == heap.THRESHOLDS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
