"""End-to-end training: a verified artifact near the Bayes AUC, logged and aliased in MLflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from declinerisk.artifacts.folder import LATEST, load_model
from declinerisk.data.mapping import ColumnMapping, Signals
from declinerisk.errors import InvalidRowsError
from declinerisk.tracking.champion_gate import CHALLENGER, CHAMPION, decide_alias
from declinerisk.train.config import EbmSettings, TrainConfig
from declinerisk.train.progress import Kind, ProgressEvent
from declinerisk.train.run import STEPS, TrainResult, run
from tests.factories import FAST_GLASSBOX, fast_config, make_offers, with_tracking

# End to end (subprocesses, browsers, load, fuzzing or training runs): left out of make quick.
pytestmark = pytest.mark.slow


def test_trained_model_is_near_the_bayes_auc(trained: TrainResult) -> None:
    test = trained.manifest.metrics.test
    assert test.bayes_roc_auc is not None
    assert test.roc_auc >= test.bayes_roc_auc - 0.03
    assert test.ece < 0.05
    for value in (test.pr_auc, test.brier, test.log_loss, test.top_decile_capture):
        assert 0.0 < value < 1.0
    assert trained.manifest.metrics.baseline_test.bayes_roc_auc == test.bayes_roc_auc


def test_artifact_loads_and_matches_the_manifest(trained: TrainResult) -> None:
    model = load_model(trained.folder.parent / LATEST)
    manifest = model.manifest
    assert model.path == trained.folder.resolve()
    assert manifest.data.rows_training + manifest.data.rows_test == 4_000
    assert manifest.data.rows_shipped == 4_000
    assert manifest.bands["high"] >= manifest.bands["medium"]
    assert {"scikit-learn", "interpret-core", "numpy", "pandas", "python"} <= set(
        manifest.libraries
    )
    assert manifest.estimator.family == "explainable_boosting"
    assert manifest.estimator.calibration_params.slope > 0
    assert "time-ordered" in manifest.data.split


def test_protected_attributes_never_change_a_score(trained: TrainResult) -> None:
    model = load_model(trained.folder)
    offers = make_offers(rows=300, seed=21)
    flipped = offers.assign(gender="woman", age_band="50 and over")
    assert "gender" not in model.model.feature_names_in_
    np.testing.assert_array_equal(
        model.decline_probability(offers), model.decline_probability(flipped)
    )


def test_invalid_rows_stop_training_unless_dropped(tmp_path: Path, config: TrainConfig) -> None:
    frame = make_offers(rows=3_000, seed=8).astype(object)
    frame.loc[[5, 6], "days_in_process"] = -1
    data = tmp_path / "offers.csv"
    frame.to_csv(data, index=False)
    with pytest.raises(InvalidRowsError):
        run(config, data, ColumnMapping())
    result = run(config, data, ColumnMapping(), drop_invalid=True)
    assert result.manifest.data.rows_dropped == 2
    assert any("dropped 2 invalid rows of 3000" in note for note in result.notes)


def test_without_offer_date_the_split_falls_back_and_says_so(
    tmp_path: Path, config: TrainConfig
) -> None:
    data = tmp_path / "offers.csv"
    make_offers(rows=3_000, seed=2).drop(columns=["offer_date"]).to_csv(data, index=False)
    result = run(config, data, ColumnMapping())
    assert "stratified random split" in result.manifest.data.split


def test_alias_rules() -> None:
    assert decide_alias(0.5, None, promote=False).alias == CHAMPION
    assert decide_alias(0.5, 0.5, promote=False).alias == CHAMPION
    assert decide_alias(0.49, 0.5, promote=False).alias == CHALLENGER
    assert decide_alias(0.1, 0.9, promote=True).alias == CHAMPION


def test_champion_moves_only_for_a_model_at_least_as_good(
    tmp_path: Path, config: TrainConfig, demo_csv: Path
) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    tracked = with_tracking(config)
    first = run(tracked, demo_csv, ColumnMapping(), tracking_uri=uri)
    assert first.tracking is not None and first.tracking.alias == CHAMPION

    weak = ColumnMapping(
        signals=Signals(absent=["days_in_process", "comp_delta_pct", "competing_offers"])
    )
    second = run(tracked, demo_csv, weak, tracking_uri=uri)
    assert second.tracking is not None and second.tracking.alias == CHALLENGER
    assert "champion stays" in second.tracking.reason

    forced = run(tracked, demo_csv, weak, tracking_uri=uri, promote=True)
    assert forced.tracking is not None and forced.tracking.alias == CHAMPION

    client = mlflow.MlflowClient(tracking_uri=uri)
    assert (
        str(client.get_model_version_by_alias("declinerisk", CHAMPION).version)
        == forced.tracking.model_version
    )
    assert (
        str(client.get_model_version_by_alias("declinerisk", CHALLENGER).version)
        == second.tracking.model_version
    )
    assert "report.html" in [a.path for a in client.list_artifacts(first.tracking.run_id)]
    logged = client.get_run(first.tracking.run_id)
    assert logged.data.metrics["test_pr_auc"] == pytest.approx(first.manifest.metrics.test.pr_auc)
    assert logged.data.params["family"] == first.manifest.estimator.family

    from declinerisk.artifacts.registry import load_reference

    champion = load_reference("models:/declinerisk@champion", tracking_uri=uri)
    assert champion.version == forced.manifest.version
    pyfunc = mlflow.pyfunc.load_model(f"models:/declinerisk/{first.tracking.model_version}")
    offers = make_offers(rows=5, seed=3)[["offer_id", *first.manifest.feature_set.names]]
    predicted = pyfunc.predict(offers)
    assert list(predicted.columns) == pyfunc.metadata.get_output_schema().input_names()
    assert (predicted["status"] == "scored").all()
    assert predicted["decline_probability"].between(0, 1).all()


def test_missing_column_exits_non_zero_naming_column_and_file(tmp_path: Path) -> None:
    data = tmp_path / "offers.csv"
    make_offers(rows=100).drop(columns=["comp_delta_pct"]).to_csv(data, index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk.train",
            "--data",
            str(data),
            "--no-tracking",
            "--models-dir",
            str(tmp_path / "models"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "comp_delta_pct" in done.stderr and str(data) in done.stderr
    assert not (tmp_path / "models").exists()


def test_the_better_cross_fitted_setting_is_chosen_and_recorded(
    tmp_path: Path, demo_csv: Path
) -> None:
    # A learning rate so small that 100 rounds leave the model near the base rate.
    weak = {"learning_rate": 0.0001, "smoothing_rounds": 0}
    glassbox = {**FAST_GLASSBOX, "candidates": [weak, *FAST_GLASSBOX["candidates"]]}
    result = run(fast_config(tmp_path / "models", glassbox=glassbox), demo_csv, ColumnMapping())
    selection = result.manifest.estimator.selection
    scores = selection.cross_fitted_roc_auc
    assert len(scores) == 2
    chosen = FAST_GLASSBOX["candidates"][0]
    assert selection.chosen == EbmSettings(**chosen).label
    assert scores[selection.chosen] > scores[EbmSettings(**weak).label]
    assert result.manifest.estimator.params.learning_rate == chosen["learning_rate"]


def test_interactions_given_as_the_shipped_config_does_train_and_load(
    tmp_path: Path, demo_csv: Path
) -> None:
    # training/config.toml says interactions = "3x" (three pairs per input); the fast test
    # recipe gives a count. The manifest must record either form, and the model must load.
    shipped = TrainConfig.model_validate({}).glassbox.interactions
    assert shipped == "3x"
    glassbox = {**FAST_GLASSBOX, "interactions": shipped}
    result = run(fast_config(tmp_path / "models", glassbox=glassbox), demo_csv, ColumnMapping())
    assert result.manifest.estimator.params.interactions == "3x"
    assert load_model(result.folder).manifest.estimator.params.interactions == "3x"


def test_the_champion_gate_compares_on_offers_later_than_the_champions_data(
    tmp_path: Path, config: TrainConfig
) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    tracked = with_tracking(config)
    offers = make_offers(rows=8_000, seed=31)  # in offer_date order
    early, full = tmp_path / "early.csv", tmp_path / "full.csv"
    offers.iloc[:4_000].to_csv(early, index=False)
    offers.to_csv(full, index=False)
    first = run(tracked, early, ColumnMapping(), tracking_uri=uri)
    assert first.tracking is not None and first.tracking.alias == CHAMPION
    # The new test set (the latest 1,600 offers) is later than everything the champion saw,
    # so the gate compares for real: a model without the strongest signals is held back.
    weak = ColumnMapping(
        signals=Signals(absent=["days_in_process", "comp_delta_pct", "competing_offers"])
    )
    second = run(tracked, full, weak, tracking_uri=uri)
    assert second.tracking is not None
    assert second.tracking.alias == CHALLENGER
    assert "worse than the champion beyond noise" in second.tracking.reason
    assert "paired bootstrap interval" in second.tracking.reason


def test_run_reports_each_named_step_in_order_to_the_progress_callback(
    tmp_path: Path, demo_csv: Path
) -> None:
    events: list[ProgressEvent] = []
    run(fast_config(tmp_path / "models"), demo_csv, ColumnMapping(), progress=events.append)
    started = [e for e in events if e.kind is Kind.STARTED]
    assert [e.step for e in started] == [s for s in STEPS if s != "track"]  # tracking is off
    assert [e.done for e in started] == list(range(len(started)))
    assert {e.total for e in started} == {len(started)}
    finished = [e.step for e in events if e.kind is Kind.FINISHED]
    assert finished == [e.step for e in started]
    notes = [e.message for e in events if e.kind is Kind.NOTE]
    assert any(note.startswith("split: time-ordered") for note in notes)
