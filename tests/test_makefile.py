"""`make install` says what it is doing before pip's long quiet install (issue 10)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_install_announces_itself_before_the_quiet_pip_step(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n prints the recipe without running it; -B as if nothing were installed yet.
    done = subprocess.run(
        ["make", "-n", "-B", "install", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    pip = next(i for i, line in enumerate(lines) if "pip install" in line)
    said = " ".join(line for line in lines[:pip] if line.startswith("echo"))
    assert "installing declinerisk" in said and "minutes" in said
