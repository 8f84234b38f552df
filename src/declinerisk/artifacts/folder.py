"""Model folders: ``model.joblib``, ``canary.json`` and ``manifest.json``, written atomically,
verified on load.

A folder is written under a temporary name and renamed into place only when complete;
``models/latest`` is a symbolic link swapped in one ``rename``. A run that fails or is killed
therefore leaves the previous folders and ``latest`` as they were. Loading checks the model
file's and the canary's SHA-256, the contract version and the pickled libraries' versions
against the manifest before unpickling anything, then scores the canary (synthetic offers
stored with the probabilities the library's public API gave at training) through the serving
kernel, and refuses any mismatch with a named error.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from declinerisk.artifacts.canary import Canary

# Manifest is re-exported: callers load a folder and read its manifest from one module.
from declinerisk.artifacts.manifest import Manifest as Manifest
from declinerisk.data import schema
from declinerisk.data.sources import file_sha256
from declinerisk.errors import (
    CanaryMismatchError,
    ChecksumMismatchError,
    IncompatibleModelError,
    ModelLoadError,
)
from declinerisk.modeling.glassbox import GlassboxModel

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
CANARY_FILE = "canary.json"
# The canary's recomputed probabilities must match the stored ones this closely.
CANARY_TOLERANCE = 1e-9
# Canary offers also scored one at a time at load, against the batch, to the bit.
CANARY_SINGLES = 5
LATEST = "latest"
TEMP_PREFIX = ".tmp-"
# Pickles of these do not cross minor releases safely: a model trained with another minor
# version is refused at load.
PICKLED = ("scikit-learn", "interpret-core")


@dataclass(frozen=True)
class LoadedModel:
    """A verified model folder: the fitted model and its manifest."""

    model: GlassboxModel
    manifest: Manifest
    path: Path

    @property
    def version(self) -> str:
        return self.manifest.version

    def decline_probability(self, offers: pd.DataFrame) -> NDArray[np.float64]:
        """Calibrated decline probabilities through the library's public API (the reference
        the kernel is checked against)."""
        if offers.empty:
            return np.empty(0, dtype=np.float64)
        return np.asarray(self.model.predict_proba(offers)[:, 1], dtype=np.float64)


def save_model(
    model: GlassboxModel,
    fields: dict[str, Any],
    models_dir: Path,
    canary: Canary,
    also: Callable[[Path, Manifest], None] | None = None,
) -> Path:
    """Write ``model``, its canary and its manifest (``fields`` plus checksums) atomically.

    ``also`` may add files (evaluation data, the report) to the folder before it is published.
    Returns the new folder, ``models_dir / fields["version"]``. ``latest`` is not moved
    here: call :func:`point_latest` once everything else about the run has succeeded.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(models_dir)
    final = models_dir / str(fields["version"])
    temporary = models_dir / f"{TEMP_PREFIX}{fields['version']}-{os.getpid()}"
    temporary.mkdir()
    try:
        model_path = temporary / MODEL_FILE
        joblib.dump(model, model_path)
        _fsync(model_path)
        canary_path = temporary / CANARY_FILE
        canary_path.write_text(canary.to_json(), encoding="utf-8")
        _fsync(canary_path)
        manifest = Manifest.model_validate(
            {
                **fields,
                "model_sha256": file_sha256(model_path),
                "canary_sha256": file_sha256(canary_path),
            }
        )
        _write_json(temporary / MANIFEST_FILE, manifest.model_dump(mode="json"))
        if also is not None:
            also(temporary, manifest)
        _fsync(temporary)
        temporary.rename(final)
        _fsync(models_dir)
        return final
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def point_latest(models_dir: Path, folder: Path) -> None:
    """Make ``models_dir/latest`` point at ``folder`` in one atomic rename."""
    link = models_dir / f"{TEMP_PREFIX}{LATEST}-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(folder.name, target_is_directory=True)
    link.replace(models_dir / LATEST)
    _fsync(models_dir)


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(f"{folder}: not a model folder (no {MANIFEST_FILE})")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ModelLoadError(f"{path}: manifest is malformed: {exc}") from exc


def load_model(folder: Path) -> LoadedModel:
    """The verified model in ``folder`` (``models/latest`` and other links are followed)."""
    folder = folder.resolve()
    manifest = read_manifest(folder)
    model_path = folder / MODEL_FILE
    if not model_path.is_file():
        raise ModelLoadError(f"{folder}: {MODEL_FILE} is missing")
    actual = file_sha256(model_path)
    if actual != manifest.model_sha256:
        raise ChecksumMismatchError(
            f"{model_path}: SHA-256 {actual[:16]}... differs from the manifest's "
            f"{manifest.model_sha256[:16]}...: the file is truncated or altered; "
            "refusing to load it"
        )
    _check_compatible(manifest, folder)
    canary = _read_canary(folder, manifest)
    try:
        model = joblib.load(model_path)
    except (ImportError, AttributeError) as exc:  # pickled by a version whose modules moved
        raise IncompatibleModelError(
            f"{folder}: {MODEL_FILE} was written by another declinerisk version ({exc}); "
            "retrain with this version"
        ) from None
    if not isinstance(model, GlassboxModel):
        raise IncompatibleModelError(f"{folder}: {MODEL_FILE} is not a declinerisk model")
    expected = manifest.feature_set.names
    found = [str(n) for n in model.feature_names_in_]
    if found != expected:
        raise IncompatibleModelError(
            f"{folder}: the model takes columns {found} but its manifest lists {expected}"
        )
    loaded = LoadedModel(model, manifest, folder)
    _check_canary(loaded, canary)
    return loaded


def _read_canary(folder: Path, manifest: Manifest) -> Canary:
    path = folder / CANARY_FILE
    if not path.is_file():
        raise ModelLoadError(f"{folder}: {CANARY_FILE} is missing")
    if file_sha256(path) != manifest.canary_sha256:
        raise CanaryMismatchError(
            f"{path}: SHA-256 differs from the manifest's: the canary is altered; refusing the "
            "model"
        )
    try:
        return Canary.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{path}: canary is malformed: {exc}") from exc


def _check_canary(loaded: LoadedModel, canary: Canary) -> None:
    """Score the canary rows through the serving kernel; refuse any drift beyond 1e-9."""
    from declinerisk.explain.actions import load_playbook
    from declinerisk.scoring.kernel import Kernel

    manifest = loaded.manifest
    kernel = Kernel(
        loaded.model,
        manifest.feature_set,
        manifest.typical_values,
        manifest.risk_bands,
        load_playbook(),
    )
    if set(canary.columns) != set(manifest.feature_set.names):
        raise ModelLoadError(f"{loaded.path}: the canary's columns differ from the model's inputs")
    served = kernel.score(canary.columns, canary.rows).probability
    # The one-offer path (per-value binning, Python-float sums) must agree to the bit.
    for i in range(CANARY_SINGLES):
        one = kernel.score({n: v[i : i + 1] for n, v in canary.columns.items()}, 1)
        if one.probability[0] != served[i]:
            raise CanaryMismatchError(
                f"{loaded.path}: canary offer {i} scores differently alone than in a batch; "
                "refusing the model"
            )
    worst = float(np.max(np.abs(served - canary.probability), initial=0.0))
    if not worst <= CANARY_TOLERANCE:
        raise CanaryMismatchError(
            f"{loaded.path}: the serving path scores the canary offers up to {worst:.2e} away "
            f"from the probabilities stored at training (tolerance {CANARY_TOLERANCE:g}); "
            "refusing the model"
        )


def _check_compatible(manifest: Manifest, folder: Path) -> None:
    if manifest.schema_version != schema.SCHEMA_VERSION:
        raise IncompatibleModelError(
            f"{folder}: written for offer contract v{manifest.schema_version}, this install "
            f"speaks v{schema.SCHEMA_VERSION}; retrain the model"
        )
    for library in PICKLED:
        trained = manifest.libraries.get(library, "")
        installed = metadata.version(library)
        if _minor(trained) != _minor(installed):
            raise IncompatibleModelError(
                f"{folder}: trained with {library} {trained}, this install has {installed}; "
                f"pickles do not cross {library} releases safely: retrain, or install "
                f"{library} {_minor(trained)}.*"
            )
    for column in manifest.feature_set.columns:
        known = schema.COLUMNS_BY_NAME.get(column.name)
        if known is not None and (known.kind, known.role) != (column.kind, column.role):
            raise IncompatibleModelError(
                f"{folder}: column {column.name!r} was {column.kind}/{column.role} at training "
                f"but the contract now says {known.kind}/{known.role}; retrain the model"
            )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temporaries(models_dir: Path) -> None:
    """Remove half-written folders left by runs that were killed (their process is gone)."""
    for path in models_dir.glob(f"{TEMP_PREFIX}*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            if path.is_symlink() or path.is_file():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
