"""Train a decline-risk model: ``python -m declinerisk.train --data FILE``.

``main`` is the command line (``declinerisk.cli.training`` renders the progress and the
outcome); ``run`` is a straight line of named steps (``declinerisk.train.steps``): read and
validate, split, leak guard, fit and evaluate, baseline, refit on everything, bands, fairness,
drift reference, canary, save, track, publish. Each step returns a typed result and reports
its progress to the callback it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from declinerisk.artifacts.manifest import Manifest
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.sources import safe_source
from declinerisk.tracking.runs import TrackingResult, log_training_run
from declinerisk.train import record, steps
from declinerisk.train.config import TrainConfig
from declinerisk.train.progress import Plan, ProgressCallback, silent

# The steps in the order ``run`` takes them; ``track`` only when tracking is on.
STEPS = (
    "read",
    "split",
    "leak_guard",
    "fit_evaluate",
    "baseline",
    "refit",
    "bands",
    "fairness",
    "drift_reference",
    "canary",
    "save",
    "track",
)


@dataclass
class TrainResult:
    folder: Path
    manifest: Manifest
    tracking: TrackingResult | None
    notes: list[str] = field(default_factory=list)


def run(
    config: TrainConfig,
    data: Path | str,
    mapping: ColumnMapping,
    *,
    drop_invalid: bool = False,
    promote: bool = False,
    tracking_uri: str | None = None,
    progress: ProgressCallback = silent,
    allow_features: Collection[str] = (),
) -> TrainResult:
    """Train, evaluate, refit on everything, save and (when tracking is on) log one model.

    The time-ordered evaluation fits the recipe on the training part and judges it on the
    latest offers; the shipped model is the same recipe refitted on every valid row, its
    calibration fitted on log-odds of rows the scoring models never saw. ``models/latest``
    moves to the new folder only once every step has succeeded.
    """
    tracked = config.tracking.enabled and bool(tracking_uri)
    plan = Plan(progress, len(STEPS) if tracked else len(STEPS) - 1)
    outcome = _fit(config, data, mapping, drop_invalid, allow_features, plan)
    with plan.step("save", "Saving the model folder and its report") as report:
        saved = steps.save(config, outcome, report)
    tracking = None
    if tracked and tracking_uri:
        with plan.step("track", "Logging to MLflow (run, model, registry alias)"):
            tracking = log_training_run(
                tracking_uri=tracking_uri,
                config=config.tracking,
                folder=saved.folder,
                manifest=saved.manifest,
                params=record.params(config, data),
                test=outcome.parts.test,
                test_probability=outcome.evaluated.evaluation.test_p,
                promote=promote,
            )
    steps.publish(config, saved)
    return TrainResult(saved.folder, saved.manifest, tracking, outcome.notes)


def _fit(
    config: TrainConfig,
    data: Path | str,
    mapping: ColumnMapping,
    drop_invalid: bool,
    allow: Collection[str],
    plan: Plan,
) -> steps.Outcome:
    """Every step up to saving: what the model folder will record."""
    with plan.step("read", f"Reading {safe_source(data)}") as report:
        read = steps.read_and_validate(data, mapping, drop_invalid, report)
    with plan.step("split", "Splitting the offers into training and test") as report:
        parts = steps.split(config, read.offers, report)
    with plan.step("leak_guard", "Checking each input for leakage") as report:
        steps.guard_leaks(parts, read.features, allow, report)
    notes = [*read.notes, f"split: {parts.method}"]
    with plan.step("fit_evaluate", "Fitting and evaluating the model") as report:
        bags = record.bag_notes(config.glassbox, len(parts.training), len(read.offers))
        for note in bags:
            report.note(note)
        notes += bags
        evaluated = steps.fit_and_evaluate(config, read.features, parts, allow, report)
    with plan.step("baseline", "Fitting the baseline") as report:
        baseline = steps.fit_baseline(config, read.features, parts, report)
    with plan.step("refit", f"Refitting on all {len(read.offers):,} rows") as report:
        shipped = steps.refit(config, read, parts, evaluated, report)
    with plan.step("bands", "Setting the risk bands") as report:
        bands = steps.set_bands(config, shipped, report)
    with plan.step("fairness", "Auditing fairness") as report:
        audit = steps.audit_fairness(parts, evaluated, report)
    with plan.step("drift_reference", "Recording the drift reference") as report:
        reference = steps.drift_reference(read, shipped, report)
    with plan.step("canary", "Scoring the canary offers") as report:
        canary = steps.make_canary(config, read.features, shipped, report)
    return steps.Outcome(
        read, parts, evaluated, baseline, shipped, bands, audit, reference, canary, notes
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m declinerisk.train``: the same command as ``declinerisk train``."""
    import typer

    from declinerisk.cli.app import run_command
    from declinerisk.cli.commands import train as train_command

    program = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    program.command(context_settings={"help_option_names": ["-h", "--help"]})(train_command)
    return run_command(program, argv, "python -m declinerisk.train")
