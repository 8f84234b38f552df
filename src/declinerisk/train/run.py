"""Train a decline-risk model: ``python -m declinerisk.train --data FILE``.

``main`` parses arguments and sets up the console and tracking; ``run`` is a straight line:
read, validate, split, evaluate (cross-fit, fit, calibrate, test), refit on everything
(ship), bands, audit, save, log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from declinerisk.artifacts.canary import Canary, canary_columns
from declinerisk.artifacts.folder import (
    DataFingerprint,
    Manifest,
    git_revision,
    library_versions,
    new_version,
    point_latest,
    save_model,
    utc_now,
)
from declinerisk.data import leakage, schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping, load_mapping
from declinerisk.data.sources import read_offers, safe_source
from declinerisk.data.split import Split, declined, split_offers
from declinerisk.data.summary import feature_summary
from declinerisk.data.validation import validate_offers
from declinerisk.modeling.bands import HIGH, RiskBands
from declinerisk.modeling.baseline import BASELINE
from declinerisk.modeling.evaluate import classification_metrics
from declinerisk.modeling.glassbox import GlassboxModel, bags_for
from declinerisk.modeling.recipe import Evaluation, evaluate, ship
from declinerisk.monitoring import drift, fairness
from declinerisk.monitoring.report import EVALUATION_FILE, write_report
from declinerisk.tracking.runs import TrackingResult, log_training_run
from declinerisk.train.config import GlassboxConfig, TrainConfig, load_config

Array = NDArray[np.float64]

FAMILY = "explainable_boosting"


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
    console: Console | None = None,
    allow_features: Collection[str] = (),
) -> TrainResult:
    """Train, evaluate, refit on everything, save and (when tracking is on) log one model.

    The time-ordered evaluation fits the recipe on the training part and judges it on the
    latest offers; the shipped model is the same recipe refitted on every valid row, its
    calibration fitted on log-odds of rows the scoring models never saw.
    """
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
    split = split_offers(offers, config.split, config.seed)
    leakage.check_inputs(split.training, features, allow_features)
    notes.append(f"split: {split.method}")
    notes += _bag_notes(config.glassbox, len(split.training), len(offers))
    for note in notes:
        out.print(f"[yellow]note:[/] {note}")

    evaluation = evaluate(config, features, split, out)
    test_metrics = _test_metrics(split.test, evaluation.test_p)
    metrics = {
        "test": test_metrics,
        "baseline_test": _test_metrics(split.test, evaluation.baseline_p),
        "cross_fit": {
            "roc_auc": float(roc_auc_score(declined(split.training), evaluation.cross_fitted_raw))
        },
    }
    leakage.check_test_auc(metrics["test"], allow_features, out)
    shipped, out_of_sample_raw = ship(config, features, offers, split, evaluation, out)
    out_of_sample_p = shipped.calibration.probability(out_of_sample_raw)
    bands = RiskBands.from_scores(
        out_of_sample_p,
        config.bands.high_share,
        config.bands.medium_share,
        raw=out_of_sample_raw,
    )
    with out.status("Auditing fairness, drivers and drift reference"):
        audit = fairness.audit(
            split.test,
            declined(split.test),
            evaluation.test_p,
            evaluation.bands.bands(evaluation.test_p, raw=evaluation.test_raw) == HIGH,
        )
        drift_reference = drift.reference(offers, features, out_of_sample_p)
    for line in fairness.flag_lines(audit):
        out.print(f"[bold red]fairness:[/] {line}")
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
            rows_training=len(split.training),
            rows_test=len(split.test),
            rows_shipped=len(offers),
            split=split.method,
            fitted_through=_last_date(offers),
        ),
        "features": features.to_list(),
        "feature_summary": feature_summary(offers, features),
        "estimator": _estimator(config, shipped, split, evaluation, len(offers)),
        "metrics": metrics,
        "bands": bands.to_dict(),
        "libraries": library_versions(),
        "notes": notes,
        "data_summary": _data_summary(offers, features),
        "drivers": _drivers(shipped),
        "fairness": fairness.as_records(audit),
        "drift_reference": drift_reference,
    }
    frame = _evaluation_frame(split.test, evaluation.test_p, evaluation.baseline_p)
    canary_rows = canary_columns(shipped.ebm, features, config.seed)
    canary = Canary(canary_rows, shipped.predict_proba(pd.DataFrame(canary_rows))[:, 1])

    def write_evaluation_and_report(folder: Path, manifest: Manifest) -> None:
        frame.to_parquet(folder / EVALUATION_FILE, index=False)
        write_report(folder, manifest)

    with out.status("Saving the model folder and its report"):
        folder = save_model(shipped, fields, models_dir, canary, also=write_evaluation_and_report)
    manifest = Manifest.model_validate_json((folder / "manifest.json").read_bytes())
    tracking = None
    if config.tracking.enabled and tracking_uri:
        with out.status("Logging to MLflow (run, model, registry alias)"):
            tracking = log_training_run(
                tracking_uri=tracking_uri,
                config=config.tracking,
                folder=folder,
                manifest=manifest,
                params=_params(config, data),
                test=split.test,
                test_probability=evaluation.test_p,
                promote=promote,
            )
    point_latest(models_dir, folder)
    return TrainResult(folder, manifest, tracking, notes)


def _bag_notes(settings: GlassboxConfig, training_rows: int, all_rows: int) -> list[str]:
    used = bags_for(all_rows, settings)
    if used >= settings.outer_bags:
        return []
    return [
        f"{all_rows:,} rows: {used} outer bags instead of {settings.outer_bags} per fit "
        f"(bag_budget_rows = {settings.bag_budget_rows:,}; {bags_for(training_rows, settings)}"
        " for the evaluated model)"
    ]


def _estimator(
    config: TrainConfig, shipped: GlassboxModel, split: Split, evaluation: Evaluation, rows: int
) -> dict[str, Any]:
    settings = config.glassbox
    chosen = evaluation.selection
    return {
        "family": FAMILY,
        "params": {
            "interactions": settings.interactions,
            "outer_bags": bags_for(rows, settings),
            "learning_rate": chosen.settings.learning_rate,
            "smoothing_rounds": chosen.settings.smoothing_rounds,
            "pairs": sum(len(t) == 2 for t in shipped.ebm.term_features_),
        },
        "selection": {
            "cross_fitted_roc_auc": chosen.roc_auc,
            "rows": chosen.rows,
            "chosen": chosen.settings.label,
        },
        "calibration": f"platt, fitted on {settings.cross_fit_folds}-fold cross-fitted log-odds",
        "calibration_params": {
            "slope": shipped.calibration.slope,
            "intercept": shipped.calibration.intercept,
        },
        "baseline": f"{BASELINE}(C={config.baseline.C})",
        "evaluated": f"fitted on the {len(split.training):,} training rows; {split.method}",
        "shipped": f"refitted on all {rows:,} valid rows after evaluation",
    }


def _drivers(model: GlassboxModel) -> dict[str, float]:
    """Mean absolute score of each term on the training rows (InterpretML's public API)."""
    names = [str(n) for n in model.ebm.term_names_]
    return dict(zip(names, map(float, model.ebm.term_importances()), strict=True))


def _last_date(offers: pd.DataFrame) -> str | None:
    if schema.DATE_COLUMN not in offers.columns:
        return None
    return f"{offers[schema.DATE_COLUMN].max():%Y-%m-%d}"


def _test_metrics(test: pd.DataFrame, probability: np.ndarray) -> dict[str, float]:
    truth = test.get(schema.TRUE_PROBABILITY_COLUMN)
    usable = truth if truth is not None and truth.notna().all() else None
    return classification_metrics(declined(test), probability, usable)


def _evaluation_frame(
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


def _params(config: TrainConfig, data: Path | str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "data": safe_source(data),
        "family": FAMILY,
        "seed": config.seed,
        "test_fraction": config.split.test_fraction,
        "baseline_C": config.baseline.C,
    }
    params.update({f"glassbox_{k}": v for k, v in config.glassbox.model_dump().items()})
    return params


def summary_table(result: TrainResult) -> Table:
    """Test metrics of the evaluated model and the baseline (another family), side by side."""
    metrics = result.manifest.metrics
    estimator = result.manifest.estimator
    table = Table(title=f"declinerisk model {result.manifest.version}: test metrics")
    table.add_column("test metric")
    table.add_column(str(estimator["family"]).replace("_", " "), justify="right")
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
            baseline = metrics["baseline_test"].get(name, float("nan"))
            table.add_row(name, f"{metrics['test'][name]:.4f}", f"{baseline:.4f}")
    return table


def _previous_model(models_dir: Path) -> str:
    latest = models_dir / "latest"
    if latest.exists():
        return f"The previous model ({latest} -> {latest.resolve().name}) is intact."
    return "No previous model was there."


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m declinerisk.train``: the same command as ``declinerisk train``."""
    import typer

    from declinerisk.cli.app import run_command
    from declinerisk.cli.commands import train as train_command

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
    allow_features: Sequence[str] = (),
) -> int:
    """Train with the command line's options and print the outcome; the exit code.

    Library errors propagate to the command (one line, exit 2); a failure to write the
    model is reported here, saying that the previous model is intact.
    """
    from declinerisk.cli.display import bands_text
    from declinerisk.cli.quiet import quiet_third_parties

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
                allow_features=allow_features,
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
