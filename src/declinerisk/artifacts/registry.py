"""Where a model comes from: a local folder, ``models/latest``, or an MLflow model URI.

MLflow is imported only when an MLflow URI is given: a service or a scoring run that loads a
local folder never pays for it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from declinerisk.artifacts.folder import MANIFEST_FILE, LoadedModel, load_model
from declinerisk.errors import ModelLoadError

MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")


def is_mlflow_uri(reference: str) -> bool:
    return reference.startswith(MLFLOW_SCHEMES)


def load_reference(reference: str, tracking_uri: str | None = None) -> LoadedModel:
    """The verified model behind a folder path or an MLflow model URI."""
    if not is_mlflow_uri(reference):
        return load_model(Path(reference))
    with tempfile.TemporaryDirectory(prefix="declinerisk-") as tmp:
        return load_model(download_model_folder(reference, Path(tmp), tracking_uri))


def download_model_folder(uri: str, destination: Path, tracking_uri: str | None = None) -> Path:
    """Download an MLflow model logged by training and return its declinerisk model folder."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(destination))
        )
    except MlflowException as exc:
        raise ModelLoadError(f"{uri}: cannot be downloaded from MLflow: {exc.message}") from exc
    manifests = sorted(local.rglob(MANIFEST_FILE))
    if not manifests:
        raise ModelLoadError(f"{uri}: not a declinerisk model (no {MANIFEST_FILE} inside)")
    return manifests[0].parent
