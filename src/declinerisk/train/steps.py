"""The steps of a training run, each a function returning a typed result.

:func:`declinerisk.train.run.run` calls them in order; each reports through the
:class:`~declinerisk.train.progress.Reporter` it is given and never prints.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from declinerisk.artifacts.canary import Canary, canary_columns
from declinerisk.artifacts.folder import point_latest, save_model
from declinerisk.artifacts.manifest import (
    CrossFitMetrics,
    DataFingerprint,
    DriftReference,
    FairnessGroup,
    Manifest,
    Metrics,
    TestMetrics,
)
from declinerisk.artifacts.provenance import git_revision, library_versions, new_version, utc_now
from declinerisk.data import leakage, schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.sources import read_offers, safe_source
from declinerisk.data.split import Split, declined, split_offers
from declinerisk.data.summary import feature_summary
from declinerisk.data.validation import validate_offers
from declinerisk.modeling.bands import HIGH, RiskBands
from declinerisk.modeling.baseline import logistic_pipeline
from declinerisk.modeling.glassbox import GlassboxModel
from declinerisk.modeling.recipe import Evaluation, evaluate, ship
from declinerisk.monitoring import drift, fairness
from declinerisk.monitoring.report import EVALUATION_FILE, write_report
from declinerisk.train import record
from declinerisk.train.config import TrainConfig
from declinerisk.train.progress import Reporter

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ReadOffers:
    """The valid offers of the export and what reading and validating them found."""

    source: str
    sha256: str
    rows_read: int
    rows_invalid: int
    offers: pd.DataFrame
    features: FeatureSet
    notes: list[str]


@dataclass(frozen=True)
class Evaluated:
    """The recipe fitted on the training part and judged on the test part."""

    evaluation: Evaluation
    test: TestMetrics
    cross_fit: CrossFitMetrics


@dataclass(frozen=True)
class Baseline:
    """The logistic baseline (another family) on the same test offers."""

    probability: Array
    test: TestMetrics


@dataclass(frozen=True)
class Shipped:
    """The recipe refitted on every valid row, and the out-of-sample scores new offers match."""

    model: GlassboxModel
    out_of_sample_raw: Array
    out_of_sample_p: Array


@dataclass(frozen=True)
class Saved:
    folder: Path
    manifest: Manifest


def read_and_validate(
    data: Path | str, mapping: ColumnMapping, drop_invalid: bool, report: Reporter
) -> ReadOffers:
    """Read the export and validate it against the contract; invalid rows stop training unless
    ``drop_invalid``."""
    raw, sha256 = read_offers(data)
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
    for note in notes:
        report.note(note)
    return ReadOffers(
        safe_source(data),
        sha256,
        len(raw),
        len(validated.invalid_rows),
        offers,
        validated.features,
        notes,
    )


def split(config: TrainConfig, offers: pd.DataFrame, report: Reporter) -> Split:
    """Training and test parts: time-ordered when offers are dated, stratified otherwise."""
    parts = split_offers(offers, config.split, config.seed)
    report.note(f"split: {parts.method}")
    return parts


def guard_leaks(
    parts: Split, features: FeatureSet, allow: Collection[str], report: Reporter
) -> dict[str, float]:
    """Each input's own ROC AUC on the training part; raises when one leaks the outcome."""
    return leakage.check_inputs(parts.training, features, allow)


def fit_and_evaluate(
    config: TrainConfig,
    features: FeatureSet,
    parts: Split,
    allow: Collection[str],
    report: Reporter,
) -> Evaluated:
    """Select, fit and calibrate on the training part; test on the rest; check the test AUC."""
    evaluation = evaluate(config, features, parts, report)
    test = record.metrics_on_test(parts.test, evaluation.test_p)
    cross_fit = CrossFitMetrics(
        roc_auc=float(roc_auc_score(declined(parts.training), evaluation.cross_fitted_raw))
    )
    warning = leakage.check_test_auc(test.model_dump(), allow)
    if warning is not None:
        report.warning("leakage", warning)
    return Evaluated(evaluation, test, cross_fit)


def fit_baseline(
    config: TrainConfig, features: FeatureSet, parts: Split, report: Reporter
) -> Baseline:
    """The logistic baseline fitted on the same training part and scored on the same test."""
    x, y = parts.training[features.names], declined(parts.training)
    model = logistic_pipeline(features, C=config.baseline.C).fit(x, y)
    probability = np.asarray(model.predict_proba(parts.test[features.names])[:, 1], dtype=float)
    return Baseline(probability, record.metrics_on_test(parts.test, probability))


def refit(
    config: TrainConfig, read: ReadOffers, parts: Split, evaluated: Evaluated, report: Reporter
) -> Shipped:
    """The evaluated recipe refitted on every valid row (see ``modeling.recipe.ship``)."""
    model, raw = ship(config, read.features, read.offers, parts, evaluated.evaluation, report)
    return Shipped(model, raw, model.calibration.probability(raw))


def set_bands(config: TrainConfig, shipped: Shipped, report: Reporter) -> RiskBands:
    """Thresholds that put the configured shares of out-of-sample scores in high and medium."""
    return RiskBands.from_scores(
        shipped.out_of_sample_p,
        config.bands.high_share,
        config.bands.medium_share,
        raw=shipped.out_of_sample_raw,
    )


def audit_fairness(parts: Split, evaluated: Evaluated, report: Reporter) -> list[FairnessGroup]:
    """High-risk flags of the evaluated model by protected group on the test offers."""
    evaluation = evaluated.evaluation
    flagged = evaluation.bands.bands(evaluation.test_p, raw=evaluation.test_raw) == HIGH
    audit = fairness.audit(parts.test, declined(parts.test), evaluation.test_p, flagged)
    for line in fairness.flag_lines(audit):
        report.warning("fairness", line)
    return audit


def drift_reference(read: ReadOffers, shipped: Shipped, report: Reporter) -> DriftReference:
    """The training distributions later offers are compared with."""
    return drift.reference(read.offers, read.features, shipped.out_of_sample_p)


def make_canary(
    config: TrainConfig, features: FeatureSet, shipped: Shipped, report: Reporter
) -> Canary:
    """Synthetic offers with the probabilities the library's public API gives them now."""
    rows = canary_columns(shipped.model.ebm, features, config.seed)
    return Canary(rows, shipped.model.predict_proba(pd.DataFrame(rows))[:, 1])


@dataclass(frozen=True)
class Outcome:
    """Everything the folder records, gathered from the steps before saving."""

    read: ReadOffers
    parts: Split
    evaluated: Evaluated
    baseline: Baseline
    shipped: Shipped
    bands: RiskBands
    fairness: list[FairnessGroup]
    drift: DriftReference
    canary: Canary
    notes: list[str]


def save(config: TrainConfig, outcome: Outcome, report: Reporter) -> Saved:
    """Write the model folder (model, canary, manifest, evaluation data, report) atomically."""
    created = utc_now()
    fields = _manifest_fields(config, outcome) | {
        "version": new_version(created, outcome.read.sha256, config.models_dir),
        "created_at": created,
        "git_revision": git_revision(),
    }
    test = outcome.parts.test
    frame = record.evaluation_frame(
        test, outcome.evaluated.evaluation.test_p, outcome.baseline.probability
    )

    def write_evaluation_and_report(folder: Path, manifest: Manifest) -> None:
        frame.to_parquet(folder / EVALUATION_FILE, index=False)
        write_report(folder, manifest)

    shipped = outcome.shipped.model
    folder = save_model(
        shipped, fields, config.models_dir, outcome.canary, also=write_evaluation_and_report
    )
    return Saved(folder, Manifest.model_validate_json((folder / "manifest.json").read_bytes()))


def publish(config: TrainConfig, saved: Saved) -> None:
    """Point ``models/latest`` at the new folder: the last thing a successful run does."""
    point_latest(config.models_dir, saved.folder)


def _manifest_fields(config: TrainConfig, outcome: Outcome) -> dict[str, object]:
    read, parts, shipped = outcome.read, outcome.parts, outcome.shipped.model
    offers = read.offers
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "data": DataFingerprint(
            source=read.source,
            sha256=read.sha256,
            rows_read=read.rows_read,
            rows_invalid=read.rows_invalid,
            rows_dropped=read.rows_read - len(offers),
            rows_training=len(parts.training),
            rows_test=len(parts.test),
            rows_shipped=len(offers),
            split=parts.method,
            fitted_through=record.last_date(offers),
        ),
        "features": read.features.to_list(),
        "feature_summary": feature_summary(offers, read.features),
        "estimator": record.estimator(
            config, shipped, parts, outcome.evaluated.evaluation, len(offers)
        ),
        "metrics": Metrics(
            test=outcome.evaluated.test,
            baseline_test=outcome.baseline.test,
            cross_fit=outcome.evaluated.cross_fit,
        ),
        "bands": outcome.bands.to_dict(),
        "libraries": library_versions(),
        "notes": outcome.notes,
        "data_summary": record.data_summary(offers, read.features),
        "drivers": record.drivers(shipped),
        "fairness": outcome.fairness,
        "drift_reference": outcome.drift,
    }
