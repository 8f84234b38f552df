"""Train a decline-risk model: ``python -m declinerisk.train --data FILE``.

``main`` parses arguments and sets up the console and tracking; ``run`` is a straight line:
read, validate, split, select by cross-validation, fit, calibrate, evaluate, save, log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.model_selection import StratifiedKFold, TimeSeriesSplit, cross_val_score
from threadpoolctl import threadpool_limits

from declinerisk import drift, fairness, schema
from declinerisk.artifacts import (
    DataFingerprint,
    Manifest,
    git_revision,
    library_versions,
    new_version,
    point_latest,
    save_model,
    utc_now,
)
from declinerisk.bands import HIGH, RiskBands
from declinerisk.calibration import calibrated, choose_method
from declinerisk.config import TrainConfig, load_config
from declinerisk.evaluate import classification_metrics
from declinerisk.explain import Explainer
from declinerisk.mapping import ColumnMapping, load_mapping
from declinerisk.pipeline import Candidate, baseline, candidates
from declinerisk.report import EVALUATION_FILE, write_report
from declinerisk.schema import FeatureSet
from declinerisk.sources import read_offers, safe_source
from declinerisk.split import Split, declined, split_offers
from declinerisk.summary import feature_summary
from declinerisk.tracking import TrackingResult, log_training_run
from declinerisk.validation import validate_offers

SELECTION_METRIC = "roc_auc"


@dataclass
class TrainResult:
    folder: Path
    manifest: Manifest
    tracking: TrackingResult | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    best: Candidate
    scores: dict[str, float]


def run(
    config: TrainConfig,
    data: Path | str,
    mapping: ColumnMapping,
    *,
    drop_invalid: bool = False,
    promote: bool = False,
    tracking_uri: str | None = None,
    console: Console | None = None,
) -> TrainResult:
    """Train, save and (when tracking is on) log one model; returns where it went."""
    out = console or Console(quiet=True)
    with out.status(f"Reading {data}"):
        raw, data_sha = read_offers(data)
        validated = validate_offers(raw, mapping, source=safe_source(data), purpose="train")
    notes = list(validated.notes)
    offers = validated.frame
    if validated.problems:
        if not drop_invalid:
            validated.raise_if_invalid()
        offers = validated.valid()
        notes.append(
            f"dropped {len(validated.invalid_rows)} invalid rows of {len(raw)} (--drop-invalid)"
        )
    features = validated.features

    def inputs(part: pd.DataFrame) -> pd.DataFrame:
        # Only the model's inputs reach the pipeline: labels, ids and protected attributes
        # never do, so the fitted pipeline cannot even ask for them.
        return part[features.names]

    split = split_offers(offers, config.split, config.seed)
    notes.append(f"split: {split.method}")
    for note in notes:
        out.print(f"[yellow]note:[/] {note}")

    selection = select(config, features, split, out)
    best = selection.best
    with out.status(f"Fitting {best.label}"):
        fitted = best.build(features, config.seed).fit(inputs(split.fit), declined(split.fit))
    calibration_x, calibration_y = inputs(split.calibration), declined(split.calibration)
    with out.status("Choosing and fitting calibration"):
        choice = choose_method(fitted, calibration_x, calibration_y, config.seed)
        model = calibrated(fitted, calibration_x, calibration_y, choice.method)
    with out.status("Fitting the baseline and evaluating"):
        reference = baseline(config)
        base = reference.build(features, config.seed).fit(inputs(split.fit), declined(split.fit))
        base = calibrated(base, calibration_x, calibration_y, "sigmoid")
        test_p = model.predict_proba(inputs(split.test))[:, 1]
        baseline_p = base.predict_proba(inputs(split.test))[:, 1]
        metrics = {
            "test": _test_metrics(split.test, test_p),
            "baseline_test": _test_metrics(split.test, baseline_p),
            "cv": selection.scores,
            "calibration_log_loss": choice.cross_fitted_log_loss,
        }
    calibration_p = model.predict_proba(calibration_x)[:, 1]
    bands = RiskBands.from_scores(calibration_p, config.bands.high_share, config.bands.medium_share)
    with out.status("Auditing fairness, drivers and drift reference"):
        audit = fairness.audit(
            split.test, declined(split.test), test_p, bands.bands(test_p) == HIGH
        )
        explainer = Explainer(model, features)
        drivers = np.abs(explainer.contributions(split.test).values).mean(axis=0)
        training = split.training  # a concatenation: build it once
        drift_reference = drift.reference(training, features, calibration_p)
    for group in audit:
        if group.adverse:
            out.print(
                f"[bold red]fairness:[/] {group.attribute} = {group.group}: impact ratio "
                f"{group.impact_ratio:.2f} (< 0.8) on {group.count} test offers"
            )
    evaluation = _evaluation(split.test, test_p, baseline_p)
    created = utc_now()
    models_dir = config.models_dir
    fields = {
        "version": new_version(created, data_sha, models_dir),
        "created_at": created,
        "git_revision": git_revision(),
        "schema_version": schema.SCHEMA_VERSION,
        "data": DataFingerprint(
            source=safe_source(data),
            sha256=data_sha,
            rows_read=len(raw),
            rows_invalid=len(validated.invalid_rows),
            rows_dropped=len(raw) - len(offers),
            rows_fit=len(split.fit),
            rows_calibration=len(split.calibration),
            rows_test=len(split.test),
            split=split.method,
        ),
        "features": features.to_list(),
        "feature_summary": feature_summary(training, features),
        "estimator": {
            "family": best.family,
            "params": best.params,
            "calibration": choice.method,
            "baseline": reference.label,
            "selection_metric": SELECTION_METRIC,
        },
        "metrics": metrics,
        "bands": bands.to_dict(),
        "libraries": library_versions(),
        "notes": notes,
        "data_summary": _data_summary(offers, features),
        "drivers": dict(zip(features.names, map(float, drivers), strict=True)),
        "fairness": fairness.as_records(audit),
        "drift_reference": drift_reference,
    }

    def write_evaluation_and_report(folder: Path, manifest: Manifest) -> None:
        evaluation.to_parquet(folder / EVALUATION_FILE, index=False)
        write_report(folder, manifest)

    with out.status("Saving the model folder and its report"):
        folder = save_model(model, fields, models_dir, also=write_evaluation_and_report)
    manifest = Manifest.model_validate_json((folder / "manifest.json").read_bytes())
    tracking = None
    if config.tracking.enabled and tracking_uri:
        with out.status("Logging to MLflow (run, model, registry alias)"):
            tracking = log_training_run(
                tracking_uri=tracking_uri,
                config=config.tracking,
                folder=folder,
                manifest=manifest,
                params=_params(config, best, choice.method, data),
                test=split.test,
                promote=promote,
            )
    point_latest(models_dir, folder)
    return TrainResult(folder, manifest, tracking, notes)


def select(config: TrainConfig, features: FeatureSet, split: Split, out: Console) -> Selection:
    """The candidate with the best cross-validated ROC AUC on the fit part."""
    rows = split.fit
    if len(rows) > config.selection.max_rows:
        # A random sample, kept in the fit part's (time) order for the time-ordered folds.
        sample = rows.sample(config.selection.max_rows, random_state=config.seed)
        rows = rows[rows.index.isin(sample.index)]
    y = declined(rows)
    folds: Any = (
        TimeSeriesSplit(config.selection.cv_folds)
        if schema.DATE_COLUMN in rows.columns
        else StratifiedKFold(config.selection.cv_folds, shuffle=True, random_state=config.seed)
    )
    scores: dict[str, float] = {}
    pool = candidates(config)
    for i, candidate in enumerate(pool, start=1):
        with out.status(f"Cross-validating {i}/{len(pool)}: {candidate.label}"):
            pipe = candidate.build(features, config.seed)
            result = cross_val_score(
                pipe, rows[features.names], y, cv=folds, scoring=SELECTION_METRIC
            )
        scores[candidate.label] = float(np.mean(result))
        out.print(f"  {candidate.label}: CV {SELECTION_METRIC} {scores[candidate.label]:.4f}")
    best = max(pool, key=lambda c: scores[c.label])
    return Selection(best, scores)


def _test_metrics(test: pd.DataFrame, probability: np.ndarray) -> dict[str, float]:
    truth = test.get(schema.TRUE_PROBABILITY_COLUMN)
    usable = truth if truth is not None and truth.notna().all() else None
    return classification_metrics(declined(test), probability, usable)


def _evaluation(
    test: pd.DataFrame, probability: np.ndarray, baseline_p: np.ndarray
) -> pd.DataFrame:
    """What the report needs to be rebuilt later: outcomes, both scores, protected groups."""
    frame = pd.DataFrame(
        {"declined": declined(test), "probability": probability, "baseline_probability": baseline_p}
    )
    for name in (schema.DATE_COLUMN, *schema.PROTECTED):
        if name in test.columns:
            frame[name] = test[name].to_numpy()
    return frame


def _data_summary(offers: pd.DataFrame, features: FeatureSet) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "rows": len(offers),
        "decline_rate": float(declined(offers).mean()),
        "missing_share": {n: float(offers[n].isna().mean()) for n in features.names},
    }
    if schema.DATE_COLUMN in offers.columns:
        dates = offers[schema.DATE_COLUMN]
        summary["date_range"] = f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    return summary


def _params(
    config: TrainConfig, best: Candidate, calibration: str, data: Path | str
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "data": safe_source(data),
        "family": best.family,
        "calibration": calibration,
        "seed": config.seed,
        "test_fraction": config.split.test_fraction,
        "calibration_fraction": config.split.calibration_fraction,
        "cv_folds": config.selection.cv_folds,
    }
    params.update({f"model_{k}": v for k, v in best.params.items()})
    return params


def summary_table(result: TrainResult) -> Table:
    """Test metrics of the model and the baseline, side by side.

    When cross-validation picked the baseline itself (same family and settings), the two
    columns would repeat each other: the table then shows one column and says so.
    """
    metrics = result.manifest.metrics
    estimator = result.manifest.estimator
    model_label = Candidate(str(estimator["family"]), dict(estimator["params"])).label
    same = model_label == estimator.get("baseline")
    table = Table(title=f"declinerisk model {result.manifest.version}: test metrics")
    table.add_column("test metric")
    table.add_column(model_label, justify="right")
    if same:
        table.caption = (
            f"The selected model is the baseline itself ({model_label}): "
            "there is no separate baseline to compare against."
        )
    else:
        table.add_column(f"baseline {estimator.get('baseline', '')}".strip(), justify="right")
    for name in (
        "roc_auc",
        "bayes_roc_auc",
        "pr_auc",
        "brier",
        "log_loss",
        "ece",
        "top_decile_capture",
        "decline_rate",
    ):
        if name in metrics["test"]:
            cells = [f"{metrics['test'][name]:.4f}"]
            if not same:
                cells.append(f"{metrics['baseline_test'].get(name, float('nan')):.4f}")
            table.add_row(name, *cells)
    return table


def _previous_model(models_dir: Path) -> str:
    latest = models_dir / "latest"
    if latest.exists():
        return f"The previous model ({latest} -> {latest.resolve().name}) is intact."
    return "No previous model was there."


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m declinerisk.train``: the same command as ``declinerisk train``."""
    import typer

    from declinerisk.cli import run_command
    from declinerisk.cli import train as train_command

    program = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    program.command(context_settings={"help_option_names": ["-h", "--help"]})(train_command)
    return run_command(program, argv, "python -m declinerisk.train")


def train_and_report(
    data: str,
    *,
    config: Path | None = None,
    mapping: Path | None = None,
    drop_invalid: bool = False,
    promote: bool = False,
    models_dir: Path | None = None,
    no_tracking: bool = False,
) -> int:
    """Train with the command line's options and print the outcome; the exit code.

    Library errors propagate to the command (one line, exit 2); a failure to write the
    model is reported here, saying that the previous model is intact.
    """
    from declinerisk.display import bands_text
    from declinerisk.quiet import quiet_third_parties

    console = Console(stderr=False)
    default_config = Path("training/config.toml")
    target = models_dir or Path("models")
    try:
        loaded = load_config(config or (default_config if default_config.is_file() else None))
        if models_dir is not None:
            loaded = loaded.model_copy(update={"models_dir": models_dir})
        target = loaded.models_dir
        column_mapping = load_mapping(mapping)
        tracking_uri = (
            None
            if no_tracking
            else (os.environ.get("MLFLOW_TRACKING_URI") or loaded.tracking.tracking_uri)
        )
        with (
            quiet_third_parties(mlflow=tracking_uri is not None),
            threadpool_limits(limits=loaded.threads),
        ):
            result = run(
                loaded,
                data,
                column_mapping,
                drop_invalid=drop_invalid,
                promote=promote,
                tracking_uri=tracking_uri,
                console=console,
            )
    except OSError as exc:  # read-only folder, full disk...: nothing was published
        print(f"error: cannot write the model: {exc}. {_previous_model(target)}", file=sys.stderr)
        return 2
    console.print(summary_table(result))
    estimator = result.manifest.estimator
    params = ", ".join(f"{k}={v}" for k, v in sorted(estimator["params"].items()))
    console.print(
        f"model: {estimator['family']} ({params}), calibration: {estimator['calibration']}"
    )
    console.print(bands_text(result.manifest.bands))
    console.print(f"saved: {result.folder} (models/latest now points here)")
    if result.tracking:
        t = result.tracking
        console.print(
            f"MLflow: run {t.run_id} at {t.tracking_uri}; registered "
            f"{t.registered_model} v{t.model_version} as {t.alias}: {t.reason}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
