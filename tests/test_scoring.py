"""Batch scoring: every row is scored or reported, never lost; reasons and actions on each."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.scorer import Scorer, errors_path, score_file
from declinerisk.train.run import TrainResult
from tests.factories import run_module


@pytest.fixture(scope="module")
def scorer(trained: TrainResult) -> Scorer:
    return Scorer(load_model(trained.folder))


def _open_offers(tmp_path: Path, rows: int, name: str = "open.csv") -> tuple[Path, pd.DataFrame]:
    frame = demo_offers(rows, seed=13, open_=True).astype(object)
    return tmp_path / name, frame


def test_seven_invalid_rows_of_a_thousand(tmp_path: Path, scorer: Scorer) -> None:
    path, frame = _open_offers(tmp_path, 1_000)
    bad_positions = [3, 50, 51, 200, 499, 777, 998]
    frame.loc[3, "days_in_process"] = -4
    frame.loc[50, "comp_delta_pct"] = "n/a please"
    frame.loc[51, "competing_offers"] = 2.5
    frame.loc[200, "interview_experience"] = 11
    frame.loc[499, "counteroffer_expected"] = "perhaps"
    frame.loc[777, "offer_id"] = frame.loc[10, "offer_id"]
    frame.loc[998, "offer_id"] = None
    frame.to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    report = score_file(scorer, path, out, ColumnMapping(), chunk_rows=300)
    assert (report.rows_read, report.rows_scored, report.rows_rejected) == (1_000, 993, 7)
    scored = pd.read_csv(out)
    errors = pd.read_csv(errors_path(out))
    assert len(scored) == 993
    assert sorted(errors["row"]) == [p + 1 for p in bad_positions]
    assert not set(scored["offer_id"]) & set(frame.loc[bad_positions[:5], "offer_id"])


def test_a_duplicate_in_a_later_chunk_is_reported(tmp_path: Path, scorer: Scorer) -> None:
    path, frame = _open_offers(tmp_path, 500)
    frame.loc[450, "offer_id"] = frame.loc[5, "offer_id"]
    frame.to_csv(path, index=False)
    report = score_file(scorer, path, tmp_path / "s.csv", ColumnMapping(), chunk_rows=100)
    errors = pd.read_csv(errors_path(tmp_path / "s.csv"))
    assert report.rows_scored + report.rows_rejected == 500
    assert list(errors["row"]) == [451]
    assert errors["reason"][0] == "duplicate offer_id (first seen at row 6)"


def test_every_open_demo_offer_gets_a_band_true_reasons_an_action_and_what_ifs(
    tmp_path: Path, scorer: Scorer
) -> None:
    path, frame = _open_offers(tmp_path, 2_000, "open.parquet")
    frame.infer_objects().to_parquet(path)
    out = tmp_path / "scored.csv"
    report = score_file(scorer, path, out, ColumnMapping(), chunk_rows=700)
    scored = pd.read_csv(out)
    assert report.rows_scored == len(scored) == 2_000
    assert set(scored["risk_band"]) <= {"high", "medium", "low"}
    assert scored["decline_probability"].between(0, 1).all()
    # Reasons fill ranks in order; each raises risk by the floor; strongest first.
    for rank in (1, 2, 3):
        given = scored[f"reason_{rank}_effect"].notna()
        assert scored.loc[given, f"reason_{rank}_sentence"].str.len().gt(10).all()
        assert scored.loc[given, f"reason_{rank}_effect"].ge(0.01).all()
        assert scored.loc[~given, f"reason_{rank}_sentence"].isna().all()
        if rank > 1:
            earlier = scored[f"reason_{rank - 1}_effect"]
            assert earlier[given].notna().all()
            assert (earlier[given] >= scored.loc[given, f"reason_{rank}_effect"]).all()
    high = scored["risk_band"] == "high"
    assert scored.loc[high, "reason_1_effect"].notna().all(), "a high-risk offer has a reason"
    assert scored["action"].str.len().gt(10).all()
    # What-ifs: blank where the lever does not apply (pay at or above the ask) or would move
    # nothing; given for nearly every offer below the ask; never above 1.
    shown = scored["what_if_comp_delta_pct"].notna().to_numpy()
    below_ask = frame["comp_delta_pct"].to_numpy(dtype=float) < 0
    assert not (shown & ~below_ask).any()
    assert shown[below_ask].mean() > 0.9
    assert scored["what_if_comp_delta_pct"].dropna().between(0, 1).all()


def test_without_reasons_the_probabilities_are_the_same(tmp_path: Path, scorer: Scorer) -> None:
    path, frame = _open_offers(tmp_path, 400)
    frame.to_csv(path, index=False)
    score_file(scorer, path, tmp_path / "a.csv", ColumnMapping())
    score_file(scorer, path, tmp_path / "b.csv", ColumnMapping(), reasons=False)
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert "reason_1_column" not in b.columns
    pd.testing.assert_series_equal(a["decline_probability"], b["decline_probability"])


def test_score_command_reports_counts_and_writes_files(
    tmp_path: Path, trained: TrainResult
) -> None:
    path, frame = _open_offers(tmp_path, 300)
    frame.loc[7, "days_in_process"] = -1
    frame.to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    done = run_module(
        "declinerisk", "score", str(path), "--out", str(out), "--model", str(trained.folder)
    )
    assert done.returncode == 0, done.stderr
    assert "scored 299 of 300 offers" in done.stdout
    assert "1 row rejected" in done.stdout
    assert len(pd.read_csv(out)) == 299
    errors = pd.read_csv(errors_path(out), dtype=str)
    assert list(errors.columns[:2]) == ["row", "offer_id"]
    assert errors.loc[0, "offer_id"] == str(frame.loc[7, "offer_id"])


def test_a_clean_file_says_no_rows_rejected(tmp_path: Path, trained: TrainResult) -> None:
    path, frame = _open_offers(tmp_path, 50)
    frame.to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    done = run_module(
        "declinerisk",
        "score",
        str(path),
        "--out",
        str(out),
        "--model",
        str(trained.folder),
        "--show",
        "3",
    )
    assert done.returncode == 0, done.stderr
    assert "no rows rejected" in done.stdout
    assert "errors.csv" not in done.stdout and "0 rows" not in done.stdout
    assert "100%" not in done.stdout
