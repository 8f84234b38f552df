"""A short version of benchmarks/load_test.py: 10 s at concurrency 16 against the real server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from load_test import failures, run_load_test
from tests.factories import FAST_CONFIG_FILE

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow


def test_ten_seconds_at_concurrency_16_loses_nothing(tmp_path: Path) -> None:
    figures = run_load_test(10, 16, tmp_path, "--config", str(FAST_CONFIG_FILE))
    assert figures["successes"] > 100
    assert figures["errors"] == 0
    assert figures["store_rows"] == figures["successes"]
    assert failures(figures) == []
