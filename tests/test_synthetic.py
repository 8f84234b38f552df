"""The demo generator is reproducible and encodes the documented causes of declines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from declinerisk.data import schema
from declinerisk.data.synthetic import demo_offers
from tests.factories import write_demo


def test_same_seed_writes_the_same_file(tmp_path: Path) -> None:
    a = write_demo(tmp_path / "a.csv", rows=500, seed=9).read_bytes()
    b = write_demo(tmp_path / "b.csv", rows=500, seed=9).read_bytes()
    c = write_demo(tmp_path / "c.csv", rows=500, seed=10).read_bytes()
    assert a == b
    assert a != c


def test_parquet_output_is_reproducible_too(tmp_path: Path) -> None:
    a = write_demo(tmp_path / "a.parquet", rows=300, seed=2)
    b = write_demo(tmp_path / "b.parquet", rows=300, seed=2)
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))


def test_rates_match_the_documented_process() -> None:
    frame = demo_offers(40_000, seed=1)
    assert 0.18 < (frame["outcome"] == schema.DECLINED).mean() < 0.22
    for name in schema.OPTIONAL_SIGNALS:
        assert 0.04 < frame[name].isna().mean() < 0.06, name
    for name in schema.CORE_SIGNALS:
        assert frame[name].notna().all(), name
    assert (frame["days_in_process"] >= 150).sum() > 0  # a few stalled processes
    declined = frame["outcome"] == schema.DECLINED
    assert frame.loc[declined, "decline_reason"].notna().all()
    assert frame.loc[~declined, "decline_reason"].isna().all()


def _mean_probability(frame: pd.DataFrame, mask: pd.Series) -> float:
    return float(frame.loc[mask, schema.TRUE_PROBABILITY_COLUMN].mean())


def test_risk_moves_with_each_known_cause() -> None:
    f = demo_offers(40_000, seed=4)
    assert _mean_probability(f, f.days_in_process > 35) > _mean_probability(
        f, f.days_in_process < 14
    )
    assert _mean_probability(f, f.contacts_per_week > 2.5) < _mean_probability(
        f, f.contacts_per_week < 0.8
    )
    assert _mean_probability(f, f.comp_delta_pct < -10) > _mean_probability(f, f.comp_delta_pct > 5)
    assert _mean_probability(f, f.competing_offers >= 2) > _mean_probability(
        f, f.competing_offers == 0
    )
    assert _mean_probability(f, f.counteroffer_expected == True) > _mean_probability(  # noqa: E712
        f,
        f.counteroffer_expected == False,  # noqa: E712
    )
    slow = f.days_in_process > 35
    fast = f.days_in_process < 14
    many, none = f.competing_offers >= 2, f.competing_offers == 0
    # A slow process hurts more when there are competing offers.
    with_competition = _mean_probability(f, slow & many) - _mean_probability(f, fast & many)
    without = _mean_probability(f, slow & none) - _mean_probability(f, fast & none)
    assert with_competition > without


def test_drift_raises_competition_over_time() -> None:
    f = demo_offers(40_000, seed=6)
    ordered = f.sort_values("offer_date")["competing_offers"].to_numpy()
    first, last = ordered[: len(ordered) // 2], ordered[len(ordered) // 2 :]
    assert last.mean() > first.mean() + 0.1


def test_open_offers_have_no_outcome_and_come_after_the_history(tmp_path: Path) -> None:
    past, open_ = demo_offers(1_000, seed=3), demo_offers(200, seed=3, open_=True)
    assert "outcome" not in open_.columns and "decline_reason" not in open_.columns
    assert open_["offer_date"].min() > past["offer_date"].max()


def test_demo_data_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "open.parquet"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "declinerisk",
            "demo-data",
            "--rows",
            "120",
            "--seed",
            "1",
            "--open",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out)) == 120
