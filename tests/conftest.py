"""Shared fixtures: demo files and one small trained model per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from declinerisk.data.mapping import ColumnMapping
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import TrainResult, run
from tests.factories import fast_config, write_demo


@pytest.fixture(scope="session")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "offers.csv", rows=4_000, seed=11)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, demo_csv: Path) -> TrainResult:
    """One model trained without tracking, shared by tests that only read it."""
    models = tmp_path_factory.mktemp("models")
    return run(fast_config(models), demo_csv, ColumnMapping())


@pytest.fixture
def config(tmp_path: Path) -> TrainConfig:
    return fast_config(tmp_path / "models")
