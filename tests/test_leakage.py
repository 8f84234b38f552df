"""The leak guard stops training on a column that gives the outcome away, and only then."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from declinerisk.data import leakage, schema
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import Kind, column, extra_column
from declinerisk.errors import ConfigError
from declinerisk.train.run import main
from tests.factories import make_offers

EXAMPLE = Path(__file__).parents[1] / "training" / "mapping.example.toml"
CONFIG = """
models_dir = "{models}"
[glassbox]
outer_bags = 2
interactions = 6
max_rounds = 1000
cross_fit_folds = 2
candidates = [{{learning_rate = 0.1, smoothing_rounds = 50}}]
[tracking]
enabled = false
"""


def _labels(rows: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random(rows) < 0.2).astype(int)


def test_a_number_that_separates_the_outcomes_scores_one_either_way_round() -> None:
    y = _labels(2_000)
    assert leakage.single_column_auc(pd.Series(y * 10.0), y, numeric=True) == 1.0
    assert leakage.single_column_auc(pd.Series(-y * 10.0), y, numeric=True) == 1.0


def test_a_number_that_leaks_through_being_blank_is_caught() -> None:
    y = _labels(2_000)
    rng = np.random.default_rng(1)
    values = pd.Series(np.where(y == 1, np.nan, rng.normal(size=len(y))))
    assert leakage.single_column_auc(values, y, numeric=True) == 1.0


def test_noise_and_an_id_like_category_score_near_one_half() -> None:
    y = _labels(4_000)
    rng = np.random.default_rng(2)
    noise = pd.Series(rng.normal(size=len(y)))
    ids = pd.Series([f"id-{i}" for i in range(len(y))])
    assert leakage.single_column_auc(noise, y, numeric=True) < 0.55
    # Out of fold, a category seen once predicts nothing; in sample it would look perfect.
    assert leakage.single_column_auc(ids, y, numeric=False) < 0.55


def test_a_stated_decline_reason_scores_one() -> None:
    offers = make_offers(rows=3_000, seed=4)
    y = (offers["outcome"] == "declined").to_numpy(dtype=int)
    assert leakage.single_column_auc(offers["decline_reason"], y, numeric=False) == 1.0


def test_every_demo_input_stays_well_under_the_limit() -> None:
    offers = make_offers(rows=20_000, seed=6)
    features = FeatureSet(tuple(c for c in schema.COLUMNS if c.is_feature))
    aucs = leakage.check_inputs(offers, features)
    assert set(aucs) == set(features.names) and len(aucs) >= 10
    assert max(aucs.values()) < 0.8  # days_in_process, the strongest, reaches 0.68


def test_allowing_a_name_that_is_not_an_input_is_refused() -> None:
    features = FeatureSet((column("days_in_process"), extra_column("Office", Kind.CATEGORY)))
    with pytest.raises(ConfigError, match="Offfice"):
        leakage.check_inputs(make_offers(rows=100), features, allow=["Offfice"])


def test_a_test_auc_above_the_bayes_auc_stops_training_unless_features_were_allowed() -> None:
    leaky = {"roc_auc": 1.0, "bayes_roc_auc": 0.824}
    with pytest.raises(leakage.LeakageError, match=r"1\.000 is above the Bayes ROC AUC 0\.824"):
        leakage.check_test_auc(leaky)
    leakage.check_test_auc(leaky, allow=["Decline Reason"])  # vouched for: a warning only
    leakage.check_test_auc({"roc_auc": 0.83, "bayes_roc_auc": 0.824})  # within noise
    leakage.check_test_auc({"roc_auc": 0.99})  # no Bayes AUC outside demo data


def _leaky_export(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The example export, and a mapping that adds its "Decline Reason" as a feature."""
    frame = make_offers(rows=3_000, seed=5).rename(
        columns={"decline_reason": "Decline Reason", "offer_id": "Requisition Offer ID"}
    )
    data = tmp_path / "export.csv"
    frame.to_csv(data, index=False)
    mapping = tmp_path / "leaky.toml"
    mapping.write_text(
        '[columns]\noffer_id = "Requisition Offer ID"\n[extra]\ncategorical = ["Decline Reason"]\n'
    )
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(models=tmp_path / "models"))
    return data, mapping, config


@pytest.mark.slow
def test_training_with_the_decline_reason_as_a_feature_stops_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, mapping, config = _leaky_export(tmp_path)
    args = ["--data", str(data), "--mapping", str(mapping), "--config", str(config)]
    assert main([*args, "--no-tracking"]) == 2
    error = capsys.readouterr().err
    assert "'Decline Reason' alone reaches ROC AUC 1.000" in error
    assert "--allow-feature 'Decline Reason'" in error
    assert not (tmp_path / "models" / "latest").exists()

    assert main([*args, "--no-tracking", "--allow-feature", "Decline Reason"]) == 0
    out = capsys.readouterr().out
    assert "leakage:" in out and "Decline Reason" in out  # the Bayes check warns instead
    assert (tmp_path / "models" / "latest").exists()
