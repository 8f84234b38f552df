"""Service fixtures: an app around a fake predictor (fast) or a real trained model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from tests.service.helpers import fake_loader, settings_for


@pytest.fixture
def fake_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(settings_for(tmp_path), loader=fake_loader())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def real_client(tmp_path: Path, trained: TrainResult) -> Iterator[TestClient]:
    models = trained.folder.parent
    settings = settings_for(tmp_path, models_dir=models, model=str(models / "latest"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
