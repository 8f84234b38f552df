"""Shared by the benchmarks: demo files, and commands measured in a process of their own."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, and stdout of ``command``; exits if it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    *output, peak_kib = done.stdout.strip().splitlines()
    return wall, int(peak_kib) / 1024, "\n".join(output)


def demo_file(rows: int, seed: int, path: Path, *extra: str, cwd: Path | None = None) -> Path:
    """Write ``rows`` demo offers to ``path`` with the project's own command."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk",
            "demo-data",
            "--rows",
            str(rows),
            "--seed",
            str(seed),
            "--out",
            str(path),
            *extra,
        ],
        check=True,
        capture_output=True,
        cwd=cwd,
    )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def train_model(data: Path, models: Path, *extra: str, env: dict[str, str], cwd: Path) -> Path:
    """Train with ``python -m declinerisk.train`` into ``models``; returns ``models/latest``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk.train",
            "--data",
            str(data),
            "--models-dir",
            str(models),
            *extra,
        ],
        check=True,
        env=env,
        capture_output=True,
        cwd=cwd,
    )
    return models / "latest"
