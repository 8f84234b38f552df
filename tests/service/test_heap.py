"""The service keeps the collector off its long-lived heap while it runs, and only then."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from fastapi.testclient import TestClient

from declinerisk.artifacts.folder import load_model
from declinerisk.scoring.scorer import Scorer
from declinerisk.train.run import TrainResult
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
        assert gc.get_freeze_count() > 10_000  # frozen again
        assert gc.get_threshold() == heap.THRESHOLDS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_a_replaced_scorer_is_freed_without_a_collection_even_frozen(
    trained: TrainResult,
) -> None:
    scorer = Scorer(load_model(trained.folder))
    model = weakref.ref(scorer.model)
    gc.freeze()  # as a running service holds it
    try:
        del scorer
        assert model() is None  # no cycle kept it: reference counting freed it
    finally:
        gc.unfreeze()
