"""The house's layout: small modules, and a wheel that installs only declinerisk's own names."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "src" / "declinerisk", ROOT / "service" / "declinerisk_service")
MAX_LINES = 300
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation")


def test_no_module_is_longer_than_the_limit() -> None:
    modules = [path for package in PACKAGES for path in package.rglob("*.py")]
    assert len(modules) > 50
    long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("declinerisk-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_installs_no_generic_top_level_name(wheel: zipfile.ZipFile) -> None:
    top = {name.split("/")[0] for name in wheel.namelist() if not name.endswith(".dist-info/")}
    assert {t for t in top if not t.endswith(".dist-info")} == {
        "declinerisk",
        "declinerisk_service",
    }


def test_the_wheel_carries_the_files_the_code_reads_at_run_time(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for needed in (
        "declinerisk/py.typed",
        "declinerisk/explain/playbook.toml",
        "declinerisk/store/migrations/script.py.mako",
        "declinerisk/store/migrations/versions/0001_initial.py",
        "declinerisk/train/__main__.py",
        "declinerisk_service/static/swagger-ui/swagger-ui-bundle.js",
        "declinerisk_service/board/templates/base.html",
    ):
        assert needed in names, needed
    entry_points = wheel.read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    ).decode()
    assert "serve = declinerisk_service.cli:serve" in entry_points
