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

from declinerisk import schema
from declinerisk.artifacts import Manifest, library_versions, load_model
from declinerisk.config import TrackingConfig
from declinerisk.errors import DeclineRiskError
from declinerisk.registry import download_model_folder
from declinerisk.schema import FeatureSet, Role

METRIC_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. :/]")
CHAMPION = "champion"
PYFUNC_CODE = Path(__file__).with_name("mlflow_entry.py")
CHALLENGER = "challenger"


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
    new_pr_auc: float, champion_pr_auc: float | None, *, promote: bool
) -> AliasDecision:
    """Champion only when at least as good as the current champion on the same test set."""
    if promote:
        return AliasDecision(CHAMPION, "promoted by --promote")
    if champion_pr_auc is None:
        return AliasDecision(CHAMPION, "no champion yet")
    if new_pr_auc >= champion_pr_auc:
        return AliasDecision(
            CHAMPION,
            f"PR AUC {new_pr_auc:.4f} >= champion's {champion_pr_auc:.4f} on this test set",
        )
    return AliasDecision(
        CHALLENGER,
        f"PR AUC {new_pr_auc:.4f} < champion's {champion_pr_auc:.4f} on this test set; "
        "the champion stays (use --promote to override)",
    )


def log_training_run(
    *,
    tracking_uri: str,
    config: TrackingConfig,
    folder: Path,
    manifest: Manifest,
    params: dict[str, Any],
    test: pd.DataFrame,
    promote: bool,
) -> TrackingResult:
    """Log the run, register the model and set its alias; returns what was done."""
    import mlflow

    try:
        return _log(mlflow, tracking_uri, config, folder, manifest, params, test, promote)
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
        mlflow.log_metrics(_flat_metrics(manifest.metrics))
        mlflow.log_dict(manifest.model_dump(mode="json"), "manifest.json")
        report = folder / "report.html"
        if report.is_file():
            mlflow.log_artifact(str(report))
        info = _log_model(mlflow, folder, manifest, test, config.registered_model)
        version = str(info.registered_model_version)
        new_pr_auc = manifest.metrics["test"]["pr_auc"]
        decision = _choose_alias(
            config.registered_model, version, new_pr_auc, test, promote, tracking_uri
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
    from declinerisk.mlflow_model import ARTIFACT_KEY

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
        signature=_signature(manifest.feature_set),
        input_example=example,
        registered_model_name=registered,
        pip_requirements=[*requirements, "pydantic>=2.9,<3", "mlflow>=3.4,<4"],
    )


def _signature(features: FeatureSet) -> Any:
    """Offer id plus every feature, typed loosely on purpose.

    MLflow refuses to widen JSON integers or booleans to doubles, so a strict numeric schema
    would reject ordinary requests; the pyfunc validates every value through the contract
    instead. Optional signals may be left out.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

    from declinerisk.mlflow_model import OUTPUT_COLUMN

    inputs: list[Any] = [ColSpec(DataType.string, schema.ID_COLUMN)] + [
        ColSpec(AnyType(), c.name, required=c.role is not Role.OPTIONAL)  # type: ignore[no-untyped-call]
        for c in features.columns
    ]
    return ModelSignature(Schema(inputs), Schema([ColSpec(DataType.double, OUTPUT_COLUMN)]))


def _choose_alias(
    name: str,
    new_version: str,
    new_pr_auc: float,
    test: pd.DataFrame,
    promote: bool,
    tracking_uri: str,
) -> AliasDecision:
    if promote:
        return decide_alias(new_pr_auc, None, promote=True)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        champion = MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return decide_alias(new_pr_auc, None, promote=False)
    if str(champion.version) == new_version:
        return decide_alias(new_pr_auc, None, promote=False)
    try:
        champion_pr_auc = _pr_auc_of(f"models:/{name}/{champion.version}", test, tracking_uri)
    except (DeclineRiskError, KeyError) as exc:
        return AliasDecision(
            CHALLENGER,
            f"champion v{champion.version} cannot be scored on this test set ({exc}); "
            "the champion stays (use --promote to override)",
        )
    return decide_alias(new_pr_auc, champion_pr_auc, promote=False)


def _pr_auc_of(uri: str, test: pd.DataFrame, tracking_uri: str) -> float:
    with tempfile.TemporaryDirectory(prefix="declinerisk-champion-") as tmp:
        champion = load_model(download_model_folder(uri, Path(tmp), tracking_uri))
    y = (test[schema.LABEL_COLUMN] == schema.DECLINED).to_numpy(dtype=int)
    return float(average_precision_score(y, champion.decline_probability(test)))
