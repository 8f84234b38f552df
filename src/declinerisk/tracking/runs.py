"""Logging training runs to MLflow and moving the registry's champion/challenger aliases.

``mlflow`` is imported inside the functions that use it, never at module import.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from declinerisk.artifacts.folder import Manifest, load_model
from declinerisk.artifacts.provenance import library_versions
from declinerisk.artifacts.registry import download_model_folder
from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Role
from declinerisk.errors import DeclineRiskError
from declinerisk.train.config import TrackingConfig

METRIC_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. :/]")
CHAMPION = "champion"
PYFUNC_CODE = Path(__file__).with_name("pyfunc_entry.py")
CHALLENGER = "challenger"
RESAMPLES = 300
CONFIDENCE = 0.95
MIN_PR_AUC_DROP = 0.005  # the stated rule when no paired predictions are at hand


class TrackingError(DeclineRiskError):
    """Logging to MLflow failed."""


@dataclass(frozen=True)
class AliasDecision:
    alias: str
    reason: str


@dataclass(frozen=True)
class TrackingResult:
    tracking_uri: str
    run_id: str
    registered_model: str
    model_version: str
    alias: str
    reason: str


def decide_alias(
    new_pr_auc: float,
    champion_pr_auc: float | None,
    *,
    promote: bool,
    interval: tuple[float, float] | None = None,
) -> AliasDecision:
    """Champion unless the new model is worse than the current champion beyond noise.

    With ``interval`` (the paired bootstrap interval of new minus champion PR AUC on the same
    test rows, :func:`pr_auc_difference`) the new model stays challenger only when the whole
    interval is below zero. Without one, the stated rule: it stays challenger when its PR AUC
    is more than :data:`MIN_PR_AUC_DROP` below the champion's.
    """
    if promote:
        return AliasDecision(CHAMPION, "promoted by --promote")
    if champion_pr_auc is None:
        return AliasDecision(CHAMPION, "no champion yet")
    difference = new_pr_auc - champion_pr_auc
    numbers = (
        f"PR AUC {new_pr_auc:.4f} vs champion's {champion_pr_auc:.4f} on this test set "
        f"(difference {difference:+.4f}"
    )
    if interval is not None:
        low, high = interval
        rule = (
            f"{numbers}, {CONFIDENCE:.0%} paired bootstrap interval [{low:+.4f}, {high:+.4f}] "
            f"over {RESAMPLES} resamples)"
        )
        worse = high < 0
    else:
        rule = f"{numbers}; rule: no more than {MIN_PR_AUC_DROP} below)"
        worse = difference < -MIN_PR_AUC_DROP
    if worse:
        return AliasDecision(
            CHALLENGER,
            f"worse than the champion beyond noise: {rule}; the champion stays "
            "(use --promote to override)",
        )
    return AliasDecision(CHAMPION, f"not worse than the champion beyond noise: {rule}")


def pr_auc_difference(
    y: np.ndarray, new: np.ndarray, champion: np.ndarray, *, seed: int = 0
) -> tuple[float, float]:
    """Paired bootstrap interval of PR AUC(new) - PR AUC(champion) on the same rows.

    Each resample draws the test rows with replacement (as multiplicity weights) and scores
    both models on the same draw, so the interval reflects the noise of the difference, which
    is much smaller than the noise of either PR AUC alone.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    differences = np.empty(RESAMPLES)
    for i in range(RESAMPLES):
        weight = np.bincount(rng.integers(0, n, n), minlength=n)
        differences[i] = average_precision_score(
            y, new, sample_weight=weight
        ) - average_precision_score(y, champion, sample_weight=weight)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return float(low), float(high)


def log_training_run(
    *,
    tracking_uri: str,
    config: TrackingConfig,
    folder: Path,
    manifest: Manifest,
    params: dict[str, Any],
    test: pd.DataFrame,
    test_probability: np.ndarray,
    promote: bool,
) -> TrackingResult:
    """Log the run, register the model and set its alias; returns what was done.

    ``test_probability`` is the evaluated model's (fitted without the test rows) on ``test``:
    the champion gate compares it with the champion on test rows neither model was fitted on.
    """
    import mlflow

    try:
        return _log(
            mlflow,
            tracking_uri,
            config,
            folder,
            manifest,
            params,
            test,
            test_probability,
            promote,
        )
    except DeclineRiskError:
        raise
    except Exception as exc:  # MLflow raises many types (its own, SQLAlchemy's, OSError...)
        raise TrackingError(
            f"model saved in {folder}, but logging it to MLflow at {tracking_uri} failed, so "
            f"models/latest was not moved: {exc}"
        ) from exc


def _log(
    mlflow: Any,
    tracking_uri: str,
    config: TrackingConfig,
    folder: Path,
    manifest: Manifest,
    params: dict[str, Any],
    test: pd.DataFrame,
    test_probability: np.ndarray,
    promote: bool,
) -> TrackingResult:
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(config.experiment)
    with mlflow.start_run(run_name=manifest.version) as run:
        mlflow.set_tags(
            {
                "declinerisk.version": manifest.version,
                "declinerisk.data_sha256": manifest.data.sha256,
            }
        )
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(_flat_metrics(manifest.metrics.model_dump()))
        mlflow.log_dict(manifest.model_dump(mode="json"), "manifest.json")
        report = folder / "report.html"
        if report.is_file():
            mlflow.log_artifact(str(report))
        info = _log_model(mlflow, folder, manifest, test, config.registered_model)
        version = str(info.registered_model_version)
        decision = _choose_alias(
            config.registered_model, version, test, test_probability, promote, tracking_uri
        )
        mlflow.MlflowClient().set_registered_model_alias(
            config.registered_model, decision.alias, version
        )
        mlflow.set_tags(
            {"declinerisk.alias": decision.alias, "declinerisk.alias_reason": decision.reason}
        )
        return TrackingResult(
            tracking_uri,
            run.info.run_id,
            config.registered_model,
            version,
            decision.alias,
            decision.reason,
        )


def _flat_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {
        METRIC_NAME_UNSAFE.sub("_", f"{part}_{name}"): value
        for part, values in metrics.items()
        for name, value in values.items()
        if np.isfinite(value)
    }


def _log_model(
    mlflow: Any, folder: Path, manifest: Manifest, test: pd.DataFrame, registered: str
) -> Any:
    from declinerisk.tracking.pyfunc import ARTIFACT_KEY

    columns = [schema.ID_COLUMN, *manifest.feature_set.names]
    example = test[columns].head(5).reset_index(drop=True)
    versions = library_versions()
    requirements = [
        f"{lib}=={versions[lib]}"
        for lib in ("scikit-learn", "pandas", "numpy", "joblib")
        if lib in versions
    ]
    # Models from code: MLflow stores the defining file, not a cloudpickle of the object.
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(PYFUNC_CODE),
        artifacts={ARTIFACT_KEY: str(folder)},
        signature=_signature(manifest.feature_set, _output_columns(folder)),
        input_example=example,
        registered_model_name=registered,
        pip_requirements=[*requirements, "pydantic>=2.9,<3", "mlflow>=3.4,<4"],
    )


def _output_columns(folder: Path) -> list[tuple[str, str]]:
    """The pyfunc's output columns for the model in ``folder`` (its levers name what-ifs)."""
    from declinerisk.scoring.rows import row_columns
    from declinerisk.scoring.scorer import Scorer

    return list(row_columns(Scorer(load_model(folder))))


def _signature(features: FeatureSet, outputs: list[tuple[str, str]]) -> Any:
    """Offer id plus every feature, typed loosely on purpose; out, the declared score columns.

    MLflow refuses to widen JSON integers or booleans to doubles, so a strict numeric schema
    would reject ordinary requests; the pyfunc validates every value through the contract
    instead. Optional signals may be left out. Every output column may be empty (a refused
    row has no score; a scored one may have fewer than three reasons).
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

    inputs: list[Any] = [ColSpec(DataType.string, schema.ID_COLUMN)] + [
        ColSpec(AnyType(), c.name, required=c.role is not Role.OPTIONAL)  # type: ignore[no-untyped-call]
        for c in features.columns
    ]
    out: list[Any] = [ColSpec(DataType[kind], name, required=False) for name, kind in outputs]
    return ModelSignature(Schema(inputs), Schema(out))


def _choose_alias(
    name: str,
    new_version: str,
    test: pd.DataFrame,
    test_probability: np.ndarray,
    promote: bool,
    tracking_uri: str,
) -> AliasDecision:
    if promote:
        return decide_alias(0.0, None, promote=True)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    y = (test[schema.LABEL_COLUMN] == schema.DECLINED).to_numpy(dtype=int)
    try:
        champion = MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return decide_alias(_pr_auc(y, test_probability), None, promote=False)
    if str(champion.version) == new_version:
        return decide_alias(_pr_auc(y, test_probability), None, promote=False)
    try:
        with tempfile.TemporaryDirectory(prefix="declinerisk-champion-") as tmp:
            loaded = load_model(
                download_model_folder(f"models:/{name}/{champion.version}", Path(tmp), tracking_uri)
            )
        unseen = _unseen_by(loaded.manifest, test)
        if unseen.sum() < MIN_GATE_ROWS or len(np.unique(y[unseen])) < 2:
            return AliasDecision(
                CHALLENGER,
                f"only {int(unseen.sum())} test offers are later than the champion's training "
                f"data (at least {MIN_GATE_ROWS} with both outcomes are needed to compare "
                "fairly); the champion stays (use --promote to override)",
            )
        champion_p = loaded.decline_probability(test[unseen])
    except (DeclineRiskError, KeyError) as exc:
        return AliasDecision(
            CHALLENGER,
            f"champion v{champion.version} cannot be scored on this test set ({exc}); "
            "the champion stays (use --promote to override)",
        )
    return decide_alias(
        _pr_auc(y[unseen], test_probability[unseen]),
        _pr_auc(y[unseen], champion_p),
        promote=False,
        interval=pr_auc_difference(y[unseen], test_probability[unseen], champion_p),
    )


# Fewest test offers unseen by the champion that the gate compares on.
MIN_GATE_ROWS = 200


def _unseen_by(champion: Manifest, test: pd.DataFrame) -> np.ndarray:
    """Test rows the champion was not fitted on: offers after its training data ended.

    A shipped model is refitted on every row it had, so only later offers are fair ground.
    Without dates nothing can be shown unseen.
    """
    through = champion.data.fitted_through
    if through is None or schema.DATE_COLUMN not in test.columns:
        return np.zeros(len(test), dtype=bool)
    return np.asarray(test[schema.DATE_COLUMN] > pd.Timestamp(through))


def _pr_auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(average_precision_score(y, p))
