"""Band shares hold within one point even when isotonic calibration ties probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from declinerisk.modeling.bands import HIGH, LOW, MEDIUM, RiskBands


def _offers(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw log-odds and outcomes drawn from them (about 20% declines)."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(-1.6, 1.2, rows)
    return raw, (rng.random(rows) < 1 / (1 + np.exp(-raw))).astype(int)


@pytest.fixture(scope="module")
def isotonic() -> IsotonicRegression:
    raw, y = _offers(5_000, seed=0)
    return IsotonicRegression(out_of_bounds="clip").fit(raw, y)


def _shares(labels: np.ndarray) -> tuple[float, float]:
    return float(np.mean(labels == HIGH)), float(np.mean(labels == MEDIUM))


def test_isotonic_probabilities_tie_enough_to_break_shares_on_probability_alone(
    isotonic: IsotonicRegression,
) -> None:
    raw, _ = _offers(5_000, seed=1)
    p = isotonic.predict(raw)
    assert len(np.unique(p)) < 100  # a step function: ties everywhere
    high, medium = _shares(RiskBands.from_scores(p, 0.10, 0.20).bands(p))
    assert abs(high - 0.10) > 0.01 or abs(medium - 0.20) > 0.01


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shares_hold_within_one_point_on_the_calibration_rows_and_on_new_offers(
    isotonic: IsotonicRegression, seed: int
) -> None:
    raw, _ = _offers(5_000, seed=seed)
    bands = RiskBands.from_scores(isotonic.predict(raw), 0.10, 0.20, raw=raw)
    high, medium = _shares(bands.bands(isotonic.predict(raw), raw=raw))
    assert high == pytest.approx(0.10, abs=0.01) and medium == pytest.approx(0.20, abs=0.01)
    fresh, _ = _offers(20_000, seed=100 + seed)
    high, medium = _shares(bands.bands(isotonic.predict(fresh), raw=fresh))
    assert high == pytest.approx(0.10, abs=0.01) and medium == pytest.approx(0.20, abs=0.01)


def test_one_offer_gets_the_band_its_batch_gives_it(isotonic: IsotonicRegression) -> None:
    raw, _ = _offers(2_000, seed=4)
    p = isotonic.predict(raw)
    bands = RiskBands.from_scores(p, 0.10, 0.20, raw=raw)
    together = bands.bands(p, raw=raw)
    assert [bands.band(float(a), float(b)) for a, b in zip(p, raw, strict=True)] == list(together)


def test_callers_without_a_raw_score_compare_the_probability_alone() -> None:
    bands = RiskBands(high=0.5, medium=0.2, high_raw=1.0, medium_raw=-1.0)
    assert bands.band(0.5) == HIGH and bands.band(0.2) == MEDIUM and bands.band(0.1) == LOW
    assert bands.band(0.5, raw=0.9) == MEDIUM  # tied probability, raw below the high pair
    assert bands.band(0.2, raw=-1.5) == LOW


def test_thresholds_round_trip_through_the_manifest_dict(isotonic: IsotonicRegression) -> None:
    raw, _ = _offers(1_000, seed=5)
    bands = RiskBands.from_scores(isotonic.predict(raw), 0.10, 0.20, raw=raw)
    assert RiskBands(**bands.to_dict()) == bands
    assert set(RiskBands(0.5, 0.2).to_dict()) == {"high", "medium"}  # old manifests unchanged
