"""Test data built from the contract and the demo generator, never hand-typed tables."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from declinerisk.data.sources import write_table
from declinerisk.data.synthetic import demo_offers
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import TrainResult

if TYPE_CHECKING:
    from declinerisk.tracking.pyfunc import DeclineRiskPyfunc

# Commands under test read it with --config; run() calls get the same settings.
FAST_CONFIG_FILE = Path(__file__).with_name("fast_config.toml")
FAST_GLASSBOX: dict[str, Any] = tomllib.loads(FAST_CONFIG_FILE.read_text())["glassbox"]


def make_offers(rows: int = 200, seed: int = 0, **overrides: Any) -> pd.DataFrame:
    """Demo past offers, with whole columns overridden."""
    frame = demo_offers(rows, seed)
    for name, value in overrides.items():
        frame[name] = value
    return frame


def write_demo(path: Path, rows: int, seed: int, *, open_: bool = False) -> Path:
    write_table(demo_offers(rows, seed, open_=open_), path)
    return path


def fast_config(models_dir: Path, **updates: Any) -> TrainConfig:
    """A small search grid, so end-to-end training stays a few seconds."""
    data: dict[str, Any] = {
        "models_dir": models_dir,
        # The shipped recipe (cross-fitting, refit, pairs, monotone), cut to a few seconds:
        # two bags, two folds, six pairs, short smoothing and round limits.
        "glassbox": FAST_GLASSBOX,
        "tracking": {"enabled": False},
    }
    data.update(updates)
    return TrainConfig.model_validate(data)


def with_tracking(config: TrainConfig) -> TrainConfig:
    """``config`` with MLflow tracking on (the test configs leave it off)."""
    return config.model_copy(
        update={"tracking": config.tracking.model_copy(update={"enabled": True})}
    )


def typical_offer(summary: dict[str, dict[str, Any]], **overrides: Any) -> pd.DataFrame:
    """One open offer whose every feature sits at its typical training value."""
    row: dict[str, Any] = {"offer_id": "typical-1"}
    row.update({name: entry["typical"] for name, entry in summary.items()})
    row.update(overrides)
    return pd.DataFrame([row], index=pd.RangeIndex(1, 2, name="row"))


def loaded_pyfunc(trained: TrainResult) -> DeclineRiskPyfunc:
    """The pyfunc as MLflow loads it, on the trained model folder."""
    from declinerisk.tracking.pyfunc import ARTIFACT_KEY, DeclineRiskPyfunc  # imports MLflow

    model = DeclineRiskPyfunc()
    model.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(trained.folder)}))
    return model


def run_module(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` in a fresh process, as a person runs it (wide console, one thread)."""
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=300,
    )
