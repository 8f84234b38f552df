"""An analyst's own export trains through a mapping file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping, load_mapping
from declinerisk.errors import ConfigError, MissingColumnError
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import TrainResult, run
from tests.factories import make_offers, run_module

EXAMPLE = Path(__file__).parents[1] / "training" / "mapping.example.toml"


def _export_like_the_example(path: Path, rows: int = 3_000) -> Path:
    """Demo offers dressed as the example mapping's export: other names, labels and dates."""
    frame = make_offers(rows=rows, seed=5)
    rng = np.random.default_rng(5)
    frame["Hiring Manager Tenure Years"] = rng.uniform(0, 15, rows).round(1)
    frame["Office"] = rng.choice(["Berlin", "Austin", "Remote"], rows)
    frame["outcome"] = np.where(
        frame["outcome"] == "declined", rng.choice(["Declined", "Reneged"], rows), "Hired"
    )
    frame["offer_date"] = frame["offer_date"].dt.strftime("%d/%m/%Y")
    frame = frame.drop(columns=["contacts_per_week"]).rename(
        columns={
            "offer_id": "Requisition Offer ID",
            "offer_date": "Offer Sent",
            "days_in_process": "Days Since First Contact",
            "comp_delta_pct": "Offer vs Ask %",
            "competing_offers": "Other Offers",
            "days_since_last_contact": "Days Since Last Touch",
            "counteroffer_expected": "Counter Risk",
            "outcome": "Status",
            "decline_reason": "Decline Reason",
            "gender": "Gender",
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_example_mapping_trains_on_an_export_with_its_own_names(
    tmp_path: Path, config: TrainConfig
) -> None:
    data = _export_like_the_example(tmp_path / "export.csv")
    result = run(config, data, load_mapping(EXAMPLE))
    names = result.manifest.feature_set.names
    assert "contacts_per_week" not in names
    assert {"days_in_process", "Hiring Manager Tenure Years", "Office"} <= set(names)
    assert "Gender" not in names and "gender" not in names
    assert any("'contacts_per_week' declared absent" in note for note in result.notes)
    # Reneged and Declined both count as declined.
    assert 0.15 < result.manifest.metrics.test.decline_rate < 0.3
    assert load_model(result.folder).version == result.manifest.version


def test_mapping_rejects_a_target_that_is_not_a_contract_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[columns]\nsalary_band = "Band"\n')
    with pytest.raises(ConfigError, match="salary_band"):
        load_mapping(path)


def test_only_core_signals_can_be_declared_absent(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[signals]\nabsent = ["department"]\n')
    with pytest.raises(ConfigError, match="only core signals"):
        load_mapping(path)


def test_a_label_value_cannot_mean_both_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[outcome]\naccepted = ["Closed"]\ndeclined = ["closed"]\n')
    with pytest.raises(ConfigError, match="both accepted and declined"):
        load_mapping(path)


def test_a_mapped_column_missing_from_the_export_is_named(
    tmp_path: Path, config: TrainConfig
) -> None:
    data = tmp_path / "offers.csv"
    make_offers(rows=100).to_csv(data, index=False)
    with pytest.raises(MissingColumnError, match="Requisition Offer ID"):
        run(config, data, load_mapping(EXAMPLE))


@pytest.mark.slow
def test_open_offers_in_the_mappings_format_score_without_outcome_columns(
    tmp_path: Path, config: TrainConfig
) -> None:

    import pandas as pd

    result = run(config, _export_like_the_example(tmp_path / "export.csv"), load_mapping(EXAMPLE))
    open_path = tmp_path / "open.csv"
    past = pd.read_csv(_export_like_the_example(tmp_path / "again.csv", rows=200))
    past.drop(columns=["Status", "Decline Reason"]).to_csv(open_path, index=False)
    out = tmp_path / "scored.csv"
    done = run_module(
        "declinerisk",
        "score",
        str(open_path),
        "--out",
        str(out),
        "--mapping",
        str(EXAMPLE),
        "--model",
        str(result.folder),
    )
    assert done.returncode == 0, done.stderr
    assert "scored 200 of 200 offers" in done.stdout
    assert len(pd.read_csv(out)) == 200


def test_a_model_needing_a_signal_the_mapping_declares_absent_says_so(
    tmp_path: Path, trained: TrainResult
) -> None:
    from declinerisk.errors import SchemaError
    from declinerisk.scoring.scorer import Scorer

    open_offers = make_offers(rows=20, seed=2).drop(columns=["contacts_per_week", "outcome"])
    mapping = tmp_path / "absent.toml"
    mapping.write_text('[signals]\nabsent = ["contacts_per_week"]\n')
    scorer = Scorer(load_model(trained.folder))
    with pytest.raises(SchemaError) as caught:
        scorer.validate(open_offers, load_mapping(mapping), "open.csv")
    message = str(caught.value)
    assert "trained with 'contacts_per_week', which the mapping declares absent" in message
    assert "declare it absent there" not in message


def test_scoring_without_a_core_signal_does_not_advise_declaring_it_absent(
    trained: TrainResult,
) -> None:
    from declinerisk.scoring.scorer import Scorer

    open_offers = make_offers(rows=20, seed=2).drop(columns=["contacts_per_week"])
    with pytest.raises(MissingColumnError) as caught:
        Scorer(load_model(trained.folder)).validate(open_offers, ColumnMapping(), "open.csv")
    assert "declare it absent there" not in str(caught.value)
    assert "model was trained with it" in str(caught.value)
