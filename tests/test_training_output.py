"""Training prints what a person needs and nothing from third parties (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import FAST_CONFIG_FILE, write_demo

NOISE = (
    "WARNING",
    "Warning",
    "INFO",
    "\x1b[",  # raw ANSI codes in a file
    "cloudpickle",
    "CloudPickle",
    "Successfully registered",
    "Created version",
    "Traceback",
)


@pytest.mark.slow
def test_training_with_tracking_prints_no_third_party_noise(tmp_path: Path) -> None:
    data = write_demo(tmp_path / "offers.csv", rows=1_500, seed=21)
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db",
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "120",
    }
    env.pop("MLFLOW_LOGGING_LEVEL", None)
    outputs = []
    for _ in range(2):  # the second run meets an existing registered model and champion
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "declinerisk.train",
                "--data",
                str(data),
                "--models-dir",
                str(tmp_path / "models"),
                "--config",
                str(FAST_CONFIG_FILE),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout + done.stderr)
    for output in outputs:
        assert [n for n in NOISE if n in output] == [], output
    first, second = (" ".join(output.split()) for output in outputs)  # rich wraps lines
    assert "registered declinerisk v1 as champion" in first
    assert "registered declinerisk v2" in second
