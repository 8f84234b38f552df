"""The house's layout: small modules, and a wheel that installs only declinerisk's own names."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "src" / "declinerisk", ROOT / "service" / "declinerisk_service")
MAX_LINES = 300
READS_POSTGRES_URL = re.compile(
    r"""(environ\.get\(|environ\[|getenv\()\s*["']DECLINERISK_TEST_POSTGRES_URL"""
)
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
    # Built from a copy: setuptools builds in the source tree (build/, *.egg-info), where two
    # pytest-xdist workers' builds would trip over each other.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", "service"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(out), str(source)],
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


def test_postgresql_tests_take_their_workers_database_from_tests_postgres() -> None:
    """Under `make unit` each pytest-xdist worker has its own test database; a module reading
    the server's URL itself would share one database with the other worker's tests."""
    readers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if READS_POSTGRES_URL.search(path.read_text(encoding="utf-8"))
    }
    # tests/postgres.py gives each worker its URL; the outage tests (serial, alone) stop the
    # server and so use the server's own.
    assert readers == {"tests/postgres.py", "tests/reliability/test_store_outage.py"}
