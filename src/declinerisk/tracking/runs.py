"""Logging training runs to MLflow and moving the registry's champion/challenger aliases.

``mlflow`` is imported inside the functions that use it, never at module import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from declinerisk.artifacts.folder import Manifest, load_model
from declinerisk.artifacts.provenance import library_versions
from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Role
from declinerisk.errors import DeclineRiskError
from declinerisk.tracking.champion_gate import choose_alias
from declinerisk.train.config import TrackingConfig

METRIC_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. :/]")
PYFUNC_CODE = Path(__file__).with_name("pyfunc_entry.py")


class TrackingError(DeclineRiskError):
    """Logging to MLflow failed."""


@dataclass(frozen=True)
class TrackingResult:
    tracking_uri: str
    run_id: str
    registered_model: str
    model_version: str
    alias: str
    reason: str


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
        decision = choose_alias(
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
