"""Model folders verify themselves on load, and a failed run leaves models/latest alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from declinerisk.artifacts import folder as artifacts
from declinerisk.artifacts.canary import UNSEEN, Canary
from declinerisk.artifacts.folder import LATEST, load_model, point_latest
from declinerisk.data.mapping import ColumnMapping
from declinerisk.errors import (
    CanaryMismatchError,
    ChecksumMismatchError,
    IncompatibleModelError,
    ModelLoadError,
)
from declinerisk.tracking.runs import TrackingError
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import TrainResult, run
from tests.factories import make_offers, with_tracking


@pytest.fixture
def folder(tmp_path: Path, trained: TrainResult) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(trained.folder, copy)
    return copy


def _edit_manifest(folder: Path, **changes: object) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def test_loads_and_verifies_a_model_it_wrote(folder: Path, trained: TrainResult) -> None:
    model = load_model(folder)
    assert model.version == trained.manifest.version
    assert model.manifest.model_sha256 == artifacts.file_sha256(folder / "model.joblib")


def test_refuses_an_altered_model_file(folder: Path) -> None:
    path = folder / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="truncated or altered"):
        load_model(folder)


def test_refuses_a_truncated_model_file(folder: Path) -> None:
    path = folder / "model.joblib"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ChecksumMismatchError):
        load_model(folder)


def test_refuses_a_model_whose_features_differ_from_its_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    _edit_manifest(folder, features=manifest["features"][:-1])
    with pytest.raises(IncompatibleModelError, match="manifest lists"):
        load_model(folder)


def test_refuses_a_model_from_another_scikit_learn_release(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    _edit_manifest(folder, libraries={**manifest["libraries"], "scikit-learn": "0.24.2"})
    with pytest.raises(IncompatibleModelError, match=r"scikit-learn 0\.24\.2"):
        load_model(folder)


def test_refuses_a_model_from_another_interpret_release(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    _edit_manifest(folder, libraries={**manifest["libraries"], "interpret-core": "0.5.0"})
    with pytest.raises(IncompatibleModelError, match=r"interpret-core 0\.5\.0"):
        load_model(folder)


def _alter_canary(folder: Path, *, reseal: bool) -> None:
    """Nudge one stored canary probability by 1e-6; with ``reseal``, fix the checksum too, as
    an attacker or a buggy tool would, so only the recomputation can notice."""
    path = folder / "canary.json"
    canary = json.loads(path.read_text())
    canary["probability"][7] += 1e-6
    path.write_text(json.dumps(canary))
    if reseal:
        _edit_manifest(folder, canary_sha256=artifacts.file_sha256(path))


def test_refuses_an_altered_canary_by_its_checksum(folder: Path) -> None:
    _alter_canary(folder, reseal=False)
    with pytest.raises(CanaryMismatchError, match="canary is altered"):
        load_model(folder)


def test_refuses_a_model_whose_serving_path_misses_the_canary(folder: Path) -> None:
    _alter_canary(folder, reseal=True)
    with pytest.raises(CanaryMismatchError, match=r"up to 1\.00e-06 away"):
        load_model(folder)


def test_canary_rows_are_synthetic_and_cover_missing_and_unseen_values(folder: Path) -> None:
    canary = Canary.from_json((folder / "canary.json").read_text())
    demo_ids = set(make_offers(rows=4_000, seed=11)["offer_id"])
    assert "offer_id" not in canary.columns and not demo_ids & set(canary.columns)
    assert canary.rows == 300
    assert any(v is None for v in canary.columns["department"])
    assert UNSEEN in set(canary.columns["department"])
    assert np.isnan(canary.columns["days_in_process"]).any()


def test_refuses_a_model_for_another_contract_version(folder: Path) -> None:
    _edit_manifest(folder, schema_version=99)
    with pytest.raises(IncompatibleModelError, match="contract v99"):
        load_model(folder)


def test_refuses_a_folder_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no manifest\.json"):
        load_model(tmp_path)


@pytest.mark.slow
def test_failed_tracking_leaves_latest_on_the_previous_model(
    tmp_path: Path, config: TrainConfig, demo_csv: Path
) -> None:
    first = run(config, demo_csv, ColumnMapping())
    tracked = with_tracking(config)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the tracking database's folder should be")
    with pytest.raises(TrackingError, match="models/latest was not moved"):
        run(tracked, demo_csv, ColumnMapping(), tracking_uri=f"sqlite:///{blocker}/mlflow.db")
    assert (config.models_dir / LATEST).resolve() == first.folder.resolve()
    assert load_model(config.models_dir / LATEST).version == first.manifest.version


@pytest.mark.slow
def test_failed_save_leaves_no_half_written_folder(
    tmp_path: Path, config: TrainConfig, demo_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run(config, demo_csv, ColumnMapping())

    def disk_full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifacts.joblib, "dump", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run(config, demo_csv, ColumnMapping())
    assert sorted(p.name for p in config.models_dir.iterdir()) == sorted(
        [first.folder.name, LATEST]
    )
    assert load_model(config.models_dir / LATEST).version == first.manifest.version


def test_stale_temporary_folders_of_dead_runs_are_removed(
    tmp_path: Path, trained: TrainResult
) -> None:
    models = tmp_path / "models"
    stale = models / ".tmp-20250101-000000-abc-999999999"
    stale.mkdir(parents=True)
    (stale / "model.joblib").write_bytes(b"half")
    fields = trained.manifest.model_dump()
    fields.pop("model_sha256")
    fields.pop("canary_sha256")
    canary = Canary.from_json((trained.folder / "canary.json").read_text())
    folder = artifacts.save_model(load_model(trained.folder).model, fields, models, canary)
    point_latest(models, folder)
    assert not stale.exists()
    assert load_model(models / LATEST).version == trained.manifest.version


def test_a_model_pickled_by_a_version_whose_modules_moved_is_refused_with_retrain(
    folder: Path,
) -> None:
    # What a pickle of a class from a module that no longer exists unpickles as: an import
    # error inside joblib.load. It must become one clear refusal, not a traceback.
    path = folder / "model.joblib"
    path.write_bytes(
        b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00\x8c\x13declinerisk.gone_42"
        b"\x94\x8c\x01X\x94\x93\x94)\x81\x94."  # pickle.dumps of declinerisk.gone_42.X()
    )
    _edit_manifest(folder, model_sha256=artifacts.file_sha256(path))
    with pytest.raises(IncompatibleModelError, match=r"another declinerisk version.*retrain"):
        load_model(folder)
