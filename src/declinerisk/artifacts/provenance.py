"""Provenance of a model folder: library versions, git revision, creation time, folder name."""

from __future__ import annotations

import contextlib
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from declinerisk import __version__

LIBRARIES = ("scikit-learn", "interpret-core", "numpy", "pandas", "joblib", "pyarrow")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "declinerisk": __version__}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def git_revision(cwd: Path | None = None) -> str | None:
    """The checked-out commit, or None outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def new_version(created_at: datetime, data_sha256: str, models_dir: Path) -> str:
    """A sortable, unique folder name: creation time plus the start of the data's hash."""
    base = f"{created_at:%Y%m%d-%H%M%S}-{data_sha256[:8]}"
    version, n = base, 1
    while (models_dir / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
