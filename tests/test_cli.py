"""The command line a person can discover: help for every option, one-line errors (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from declinerisk.cli import display
from declinerisk.cli.main import app, mount_plugins
from declinerisk.cli.training import summary_table
from declinerisk.train.run import TrainResult
from tests.factories import FAST_CONFIG_FILE, run_module, write_demo

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow

TRAIN_OPTIONS = (
    "--data",
    "--config",
    "--mapping",
    "--drop-invalid",
    "--promote",
    "--models-dir",
    "--no-tracking",
)


@pytest.mark.parametrize("program", [("declinerisk", "train"), ("declinerisk.train",)])
def test_train_help_lists_every_option(program: tuple[str, ...]) -> None:
    done = run_module(*program, "--help")
    assert done.returncode == 0, done.stderr
    for option in TRAIN_OPTIONS:
        assert option in done.stdout


def test_declinerisk_train_trains(tmp_path: Path) -> None:
    data = write_demo(tmp_path / "offers.csv", rows=1_500, seed=4)
    models = tmp_path / "models"
    done = run_module(
        "declinerisk",
        "train",
        "--data",
        str(data),
        "--no-tracking",
        "--models-dir",
        str(models),
        "--config",
        str(FAST_CONFIG_FILE),
    )
    assert done.returncode == 0, done.stderr
    assert (models / "latest" / "manifest.json").is_file()
    assert "risk bands: high from" in done.stdout


def test_every_option_and_argument_has_help() -> None:
    mount_plugins()  # the service's serve command comes through its entry point
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(commands) >= {"demo-data", "train", "score", "report", "drift", "reasons", "serve"}
    for name, command in commands.items():
        assert command.help, name
        for param in command.params:
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"{name} {param.name} has no help"


def test_top_level_help_is_written_for_users() -> None:
    done = run_module("declinerisk", "--help")
    assert done.returncode == 0
    assert "Each subcommand imports" not in done.stdout
    assert "decline probability" in done.stdout and "train" in done.stdout


@pytest.mark.parametrize("content", [None, "", "\n"])
def test_a_missing_or_empty_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str | None, trained: TrainResult
) -> None:
    path = tmp_path / "offers.csv"
    if content is not None:
        path.write_text(content)
    for command in (
        ["score", str(path), "--model", str(trained.folder)],
        ["train", "--data", str(path), "--no-tracking"],
    ):
        done = run_module("declinerisk", *command, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        assert str(path) in lines[0]


def test_other_obvious_mistakes_are_one_line_too(tmp_path: Path) -> None:
    data = write_demo(tmp_path / "open.csv", rows=20, seed=1, open_=True)
    for command in (
        ["score", str(data), "--model", str(tmp_path / "nowhere")],
        ["score", str(data), "--out", str(tmp_path / "scored.parquet")],
        ["score", str(data), "--mapping", str(tmp_path / "nowhere.toml")],
        ["report", str(tmp_path / "nowhere")],
        ["demo-data", "--out", str(tmp_path / "offers.json")],
    ):
        done = run_module("declinerisk", *command, cwd=tmp_path)
        assert done.returncode == 2, command
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_probabilities_shown_to_a_person_are_never_certain() -> None:
    assert display.percent(1.0) == ">99%"
    assert display.percent(0.996) == ">99%"
    assert display.percent(0.0) == "<1%"
    assert display.percent(0.234) == "23%"
    text = display.bands_text({"high": 0.3123456789012345, "medium": 0.18})
    assert text == "risk bands: high from 31.2% decline probability, medium from 18.0%, low below"


def test_the_test_table_compares_the_model_with_a_baseline_of_another_family(
    trained: TrainResult,
) -> None:
    from rich.console import Console

    table = summary_table(TrainResult(trained.folder, trained.manifest, None))
    assert len(table.columns) == 3
    console = Console(width=120, record=True)
    console.print(table)
    text = console.export_text()
    assert "explainable boosting" in text and "baseline logistic_regression" in text
    metrics = trained.manifest.metrics
    assert metrics.test.roc_auc != metrics.baseline_test.roc_auc


def test_reasons_tables_are_never_cut(tmp_path: Path) -> None:
    data = write_demo(tmp_path / "offers.csv", rows=2_000, seed=2)
    env_columns = {"COLUMNS": "80"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk",
            "reasons",
            "--data",
            str(data),
            "--html",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env_columns},
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    assert "counter-offer or promotion" in done.stdout and "decline rate" in done.stdout


def test_training_progress_prints_notes_warnings_and_details_but_not_spinners() -> None:
    from rich.console import Console

    from declinerisk.cli.training import RichProgress
    from declinerisk.train.progress import Plan

    console = Console(width=120, record=True, force_terminal=False)
    plan = Plan(RichProgress(console), total=2)
    with plan.step("read", "Reading offers.csv") as report:
        report.note("split: [time-ordered]")
    with plan.step("fit_evaluate", "Fitting") as report:
        report.status("Cross-fitting settings 1/2", done=0, total=2)
        report.detail("  a: cross-fitted ROC AUC 0.8000")
        report.warning("fairness", "gender = B is flagged")
    lines = console.export_text().splitlines()
    assert lines == [
        "note: split: [time-ordered]",
        "  a: cross-fitted ROC AUC 0.8000",
        "fairness: gender = B is flagged",
    ]
