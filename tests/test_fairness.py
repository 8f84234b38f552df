"""The fairness audit raises flags for real disparities and stays quiet on noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from declinerisk.artifacts.folder import read_manifest
from declinerisk.modeling.bands import HIGH, RiskBands
from declinerisk.monitoring import fairness
from declinerisk.monitoring.report import EVALUATION_FILE, build_report
from declinerisk.train.run import TrainResult
from tests.factories import make_offers

INPUTS = ["days_in_process", "contacts_per_week", "comp_delta_pct", "competing_offers"]
PROTECTED = ["gender", "age_band"]
PLANTED = ("age_band", "50 and over")  # about 13% of demo offers: 650 of 5,000 test rows


@dataclass(frozen=True)
class Predictions:
    test: pd.DataFrame
    declined: np.ndarray
    probability: np.ndarray
    flagged: np.ndarray


@pytest.fixture(scope="module")
def predictions() -> Predictions:
    """One model's test predictions on demo data, whose protected attributes are independent
    of everything; high = the top 10% of the training scores, as training sets its bands."""
    offers = make_offers(rows=20_000, seed=3)
    x = offers[INPUTS].fillna(0).to_numpy()
    y = (offers["outcome"] == "declined").to_numpy(dtype=int)
    model = LogisticRegression().fit(x[:15_000], y[:15_000])
    bands = RiskBands.from_scores(model.predict_proba(x[:15_000])[:, 1], 0.1, 0.2)
    p = model.predict_proba(x[15_000:])[:, 1]
    test = offers.iloc[15_000:].reset_index(drop=True)
    return Predictions(test, y[15_000:], p, bands.bands(p) == HIGH)


def _shuffled(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    # Rows of the protected columns move together, so their joint distribution is kept.
    return frame[PROTECTED].iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _any_flag(results: list[fairness.GroupResult]) -> bool:
    return any(r.adverse or r.over_flagged for r in results)


@pytest.mark.slow
def test_shuffled_protected_attributes_raise_a_flag_in_at_most_5_percent_of_shuffles(
    predictions: Predictions,
) -> None:
    alarms = 0
    for seed in range(200):
        frame = _shuffled(predictions.test, np.random.default_rng(seed))
        results = fairness.audit(
            frame, predictions.declined, predictions.probability, predictions.flagged
        )
        alarms += _any_flag(results)
    assert alarms <= 10, f"{alarms} of 200 shuffles raised a flag"


@pytest.mark.slow
def test_a_group_flagged_half_as_often_is_flagged_in_9_of_10_seeds(
    predictions: Predictions,
) -> None:
    caught = 0
    for seed in range(50):
        rng = np.random.default_rng(1_000 + seed)
        frame = _shuffled(predictions.test, rng)
        in_group = frame[PLANTED[0]].to_numpy() == PLANTED[1]
        assert in_group.sum() >= 500
        flagged = predictions.flagged.copy()
        hits = np.flatnonzero(flagged & in_group)
        flagged[rng.choice(hits, len(hits) // 2, replace=False)] = False  # half the rate
        results = fairness.audit(frame, predictions.declined, predictions.probability, flagged)
        group = next(r for r in results if (r.attribute, r.group) == PLANTED)
        caught += group.adverse
        if group.adverse:
            assert group.reference in {"under 30", "30-39", "40-49"}
            assert group.impact_ratio is not None and group.impact_ratio < 0.8
    assert caught >= 45, f"caught in {caught} of 50 seeds"


def test_a_group_flagged_three_times_as_often_surfaces_as_more_flags(
    predictions: Predictions,
) -> None:
    rng = np.random.default_rng(7)
    frame = _shuffled(predictions.test, rng)
    in_group = frame[PLANTED[0]].to_numpy() == PLANTED[1]
    flagged = predictions.flagged & ~in_group
    flagged[in_group] = rng.random(in_group.sum()) < 3 * predictions.flagged.mean()
    results = fairness.audit(frame, predictions.declined, predictions.probability, flagged)
    by_group = {(r.attribute, r.group): r for r in results}
    planted = by_group[PLANTED]
    assert planted.over_flagged and not planted.adverse
    assert planted.unflagged_reference in {"under 30", "30-39", "40-49"}
    # Seen from the other reading, every other age band is flagged less often than it.
    for band in ("under 30", "30-39", "40-49"):
        assert by_group[("age_band", band)].adverse
        assert by_group[("age_band", band)].reference == PLANTED[1]
    lines = fairness.flag_lines(results)
    assert any(
        line.startswith(f"{fairness.MORE}: age_band = 50 and over")
        and f"least-flagged group {planted.unflagged_reference}" in line
        for line in lines
    )


def _groups(sizes: dict[str, tuple[int, int]]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows per group and how many of them are flagged, first rows flagged."""
    names, flagged = [], []
    for name, (rows, hits) in sizes.items():
        names += [name] * rows
        flagged += [True] * hits + [False] * (rows - hits)
    rng = np.random.default_rng(0)
    declined = (rng.random(len(names)) < 0.3).astype(int)
    frame = pd.DataFrame({"gender": names})
    return frame, declined, np.array(flagged)


def test_groups_under_two_percent_are_shown_but_never_judged_nor_the_reference() -> None:
    # "tiny" has 45 rows (1.5% of 3,000): above 30 rows, under 2%, and flagged the most.
    frame, declined, flagged = _groups({"a": (1_500, 300), "b": (1_455, 150), "tiny": (45, 40)})
    frame.loc[:9, "gender"] = None  # ten rows without a gender
    results = {
        r.group: r for r in fairness.audit(frame, declined, np.full(len(frame), 0.3), flagged)
    }
    assert results["tiny"].too_small and results["tiny"].impact_ratio is None
    assert results["(not given)"].too_small and results["(not given)"].count == 10
    assert results["b"].reference == "a" and results["b"].adverse
    assert results["b"].impact_ratio == pytest.approx((150 / 1_455) / (290 / 1_490))


def test_a_large_gap_with_few_flagged_offers_is_not_judged() -> None:
    frame, declined, flagged = _groups({"a": (400, 6), "b": (400, 2)})
    results = {r.group: r for r in fairness.audit(frame, declined, np.full(800, 0.3), flagged)}
    assert results["b"].impact_ratio == pytest.approx(1 / 3)
    assert results["b"].p_value is None and not results["b"].adverse
    assert results["a"].comparisons == 0


def test_holm_adjusts_as_by_hand() -> None:
    # Sorted: 0.01 x 4 = 0.04, 0.02 x 3 = 0.06, 0.03 x 2 = 0.06 (kept monotone), 0.5 x 1.
    assert fairness.holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])


def test_the_report_and_the_printout_name_the_reference_group(trained: TrainResult) -> None:
    frame, declined, flagged = _groups({"A": (200, 60), "B": (200, 30)})
    audit = fairness.audit(frame, declined, np.full(400, 0.3), flagged)
    (line,) = fairness.flag_lines(audit)
    assert line.startswith(f"{fairness.FEWER}: gender = B")
    assert "against the most-flagged group A" in line
    manifest = read_manifest(trained.folder).model_copy(update={"fairness": audit})
    page = build_report(manifest, pd.read_parquet(trained.folder / EVALUATION_FILE))
    assert "against the most-flagged group A" in page
    assert "adverse impact (fewer flags than A)" in page
    assert "How a flag reads" in page
