"""Reasons are exact: base + contributions = the classifier's raw log-odds, for every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from declinerisk.artifacts import LoadedModel, load_model
from declinerisk.explain import Explainer
from declinerisk.mapping import ColumnMapping
from declinerisk.pipeline import BOOSTING, LOGISTIC
from declinerisk.scoring import Scorer
from declinerisk.train import run
from declinerisk.validation import validate_offers
from tests.factories import fast_config, make_offers, typical_offer


@pytest.fixture(scope="session", params=[LOGISTIC, BOOSTING])
def family_model(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_csv: Path
) -> LoadedModel:
    config = fast_config(
        tmp_path_factory.mktemp(request.param), selection={"families": [request.param]}
    )
    result = run(config, demo_csv, ColumnMapping())
    assert result.manifest.estimator["family"] == request.param
    return load_model(result.folder)


def _messy_offers(rows: int, seed: int) -> pd.DataFrame:
    """Random demo rows plus the awkward cases: unseen categories and blanks everywhere."""
    frame = make_offers(rows=rows, seed=seed).astype(object)
    rng = np.random.default_rng(seed)
    frame.loc[rng.random(rows) < 0.02, "role_level"] = "astronaut"
    for name in ("days_in_process", "comp_delta_pct", "department", "counteroffer_expected"):
        frame.loc[rng.random(rows) < 0.03, name] = None
    frame.index = pd.RangeIndex(1, rows + 1, name="row")
    validated = validate_offers(frame, ColumnMapping(), source="random", purpose="score")
    assert validated.problems == []
    return validated.frame


def test_contributions_add_up_to_the_raw_log_odds(family_model: LoadedModel) -> None:
    offers = _messy_offers(10_000, seed=31)
    features = family_model.manifest.feature_set
    explainer = Explainer(family_model.pipeline, features)
    contributions = explainer.contributions(offers)
    prepare = family_model.pipeline.named_steps["prepare"]
    frozen = family_model.pipeline.named_steps["classify"].calibrated_classifiers_[0].estimator
    raw = frozen.decision_function(prepare.transform(offers[features.names]))
    assert contributions.values.shape == (10_000, len(features.names))
    np.testing.assert_allclose(contributions.raw, raw, rtol=0, atol=1e-6)


def test_probabilities_equal_the_pipelines_predict_proba(family_model: LoadedModel) -> None:
    offers = _messy_offers(5_000, seed=32)
    explainer = Explainer(family_model.pipeline, family_model.manifest.feature_set)
    ours = explainer.probability(explainer.contributions(offers).raw)
    np.testing.assert_allclose(ours, family_model.decline_probability(offers), rtol=0, atol=1e-9)


def test_a_long_process_is_the_top_reason_of_an_otherwise_typical_candidate(
    family_model: LoadedModel,
) -> None:
    scorer = Scorer(family_model)
    offer = typical_offer(family_model.manifest.feature_summary, days_in_process=60)
    scored = scorer.score(offer).iloc[0]
    assert scored["reason_1_column"] == "days_in_process"
    assert scored["reason_1_value"] == "60 days"
    assert scored["reason_1_sentence"].startswith("Offer process has run 60 days; typical is")


def test_a_typical_candidate_has_no_large_contribution(family_model: LoadedModel) -> None:
    explainer = Explainer(family_model.pipeline, family_model.manifest.feature_set)
    offer = typical_offer(family_model.manifest.feature_summary)
    long = typical_offer(family_model.manifest.feature_summary, days_in_process=60)
    typical_max = np.abs(explainer.contributions(offer).values).max()
    assert explainer.contributions(long).values.max() > 2 * typical_max


@pytest.mark.parametrize("family_model", [BOOSTING], indirect=True)
@pytest.mark.parametrize(
    ("column", "values", "direction"),
    [("competing_offers", [0, 1, 2, 3, 5, 8], 1), ("comp_delta_pct", [-30, -10, 0, 10, 40], -1)],
)
def test_known_risk_directions_hold_for_the_trees(
    family_model: LoadedModel, column: str, values: list[float], direction: int
) -> None:
    offers = make_offers(rows=200, seed=4)
    risks = []
    for value in values:
        risks.append(family_model.decline_probability(offers.assign(**{column: value})))
    steps = np.diff(np.vstack(risks), axis=0) * direction
    assert (steps >= -1e-12).all()


def test_compiled_columns_match_the_pipelines_own_transformations(
    family_model: LoadedModel,
) -> None:
    offers = _messy_offers(3_000, seed=33)
    explainer = Explainer(family_model.pipeline, family_model.manifest.feature_set)
    compiled = explainer.contributions(offers)
    reference = explainer.contributions_through_pipeline(offers)
    assert compiled.base == pytest.approx(reference.base, abs=1e-12)
    np.testing.assert_allclose(compiled.values, reference.values, rtol=0, atol=1e-9)


def test_unseen_categories_are_named(family_model: LoadedModel) -> None:
    offers = _messy_offers(500, seed=34)
    explainer = Explainer(family_model.pipeline, family_model.manifest.feature_set)
    assert explainer.unknown_categories(offers) == {"role_level": ["astronaut"]}
