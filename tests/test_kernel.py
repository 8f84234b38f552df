"""What a recruiter reads is true when measured against the model's own public API.

Every number the kernel serves is recomputed here through InterpretML's public prediction of
a changed offer (``GlassboxModel.predict_proba``), never through the kernel itself: the
probability, each reason's effect (p minus p with the named inputs at their typical values),
and each what-if (p after the lever's change).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from declinerisk.artifacts.folder import LoadedModel, load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.explain.actions import load_playbook
from declinerisk.explain.reasons import NOT_RECORDED, render_value
from declinerisk.explain.terms import TermTables
from declinerisk.scoring.kernel import NONE, TOP, KernelResult
from declinerisk.scoring.scorer import Scorer, columns_of_frame
from declinerisk.train.run import TrainResult

SRC = Path(__file__).resolve().parents[1] / "src" / "declinerisk"


@pytest.fixture(scope="module")
def model(trained: TrainResult) -> LoadedModel:
    return load_model(trained.folder)


@pytest.fixture(scope="module")
def scorer(model: LoadedModel) -> Scorer:
    return Scorer(model)


@pytest.fixture(scope="module")
def open_offers(scorer: Scorer) -> pd.DataFrame:
    """10,000 open demo offers, validated, with some categories never seen in training."""
    raw = demo_offers(10_000, seed=77, open_=True)
    raw.loc[raw.index[::97], "department"] = "astronautics"
    raw.index = pd.RangeIndex(1, len(raw) + 1, name="row")
    validated = scorer.validate(raw, ColumnMapping(), "open offers")
    assert not validated.problems
    return validated.frame


@pytest.fixture(scope="module")
def result(scorer: Scorer, open_offers: pd.DataFrame) -> KernelResult:
    return scorer.kernel.score(columns_of_frame(open_offers, scorer.features), len(open_offers))


def test_term_tables_equal_interpret_eval_terms(
    model: LoadedModel, open_offers: pd.DataFrame
) -> None:
    tables = TermTables(model.model.ebm)
    names = model.manifest.feature_set.names
    scores = tables.scores({n: open_offers[n].to_numpy() for n in names}, len(open_offers))
    reference = model.model.ebm.eval_terms(open_offers[names])
    np.testing.assert_array_equal(scores.terms.T, reference)


def test_kernel_probability_equals_the_public_api(
    model: LoadedModel, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    reference = model.decline_probability(open_offers)
    np.testing.assert_allclose(result.probability, reference, rtol=0, atol=1e-9)


def test_every_reason_raises_risk_by_the_floor_and_names_a_value_unlike_typical(
    scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    floor = load_playbook().effect_floor
    shown = ~np.isnan(result.effect)
    assert shown.any(), "the demo offers must have some reasons"
    assert (result.effect[shown] >= floor).all()
    typical = scorer.model.manifest.typical_values
    for rank in range(TOP):
        for i in np.flatnonzero(result.first[rank] != NONE):
            for j in (result.first[rank, i], result.second[rank, i]):
                if j == NONE:
                    continue
                column = scorer.features.columns[j]
                value = open_offers.iloc[i][column.name]
                assert render_value(column, value) != render_value(column, typical[column.name])


def test_each_reason_effect_is_p_minus_p_with_its_inputs_at_typical(
    model: LoadedModel, scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    typical = model.manifest.typical_values
    names = scorer.features.names
    checked = 0
    for rank in range(TOP):
        pairs = {
            (int(a), int(b))
            for a, b in zip(result.first[rank], result.second[rank], strict=True)
            if a != NONE
        }
        for j, k in pairs:
            rows = np.flatnonzero((result.first[rank] == j) & (result.second[rank] == k))
            changed = open_offers.iloc[rows].copy()
            for f in (j, k):
                if f != NONE:
                    changed[names[f]] = pd.Series(
                        [typical[names[f]]] * len(rows), index=changed.index, dtype=object
                    ).astype(changed[names[f]].dtype)
            expected = result.probability[rows] - model.decline_probability(changed)
            np.testing.assert_allclose(result.effect[rank, rows], expected, rtol=0, atol=1e-9)
            checked += len(rows)
    assert checked > 5_000


def test_pair_reasons_exist_and_read_as_one_reason_naming_both_inputs(
    scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    table = scorer.writer.table(result, open_offers, scorer.kernel.levers)
    pairs = table["reason_1_column"].str.contains(" & ", na=False)
    assert scorer.kernel.tables.pairs, "the test model learns interactions"
    assert pairs.any()
    for _, row in table[pairs].head(50).iterrows():
        first, second = row["reason_1_column"].split(" & ")
        assert "together raise risk" in row["reason_1_sentence"]
        assert scorer.features[first].label.capitalize() in row["reason_1_sentence"]
        assert scorer.features[second].label in row["reason_1_sentence"]


def test_each_what_if_equals_scoring_the_changed_offer(
    model: LoadedModel, scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    levers = scorer.kernel.levers
    assert {lp.lever.action for lp in levers} >= {"Raise the offer to the candidate's ask"}
    for n, lp in enumerate(levers):
        name = scorer.features.names[lp.feature]
        values = open_offers[name].to_numpy(dtype=float)
        applies = values < lp.target if lp.lever.applies == "below" else values > lp.target
        shown = ~np.isnan(result.what_if[n])
        assert not (shown & ~applies).any()
        changed = open_offers[applies].assign(**{name: lp.target})
        after = model.decline_probability(changed)
        np.testing.assert_allclose(
            result.what_if[n, shown], after[shown[applies]], rtol=0, atol=1e-9
        )
        # Hidden although it applies only where the change moves nothing.
        unmoved = ~shown[applies]
        np.testing.assert_allclose(
            after[unmoved], result.probability[applies][unmoved], rtol=0, atol=1e-9
        )


def test_pay_alone_never_raises_risk_and_raising_it_lowers_nearly_every_estimate(
    model: LoadedModel, result: KernelResult, scorer: Scorer
) -> None:
    # The main effect of pay is made monotone; pairs holding pay are learned freely, so the
    # what-if may rarely go the other way, and then says so (the README says it too).
    ebm = model.model.ebm
    term = [str(n) for n in ebm.term_names_].index("comp_delta_pct")
    shape = ebm.term_scores_[term][1:-1]  # the bins between missing and unseen
    assert (np.diff(shape) <= 1e-12).all()
    n = [lp.lever.action for lp in scorer.kernel.levers].index(
        "Raise the offer to the candidate's ask"
    )
    shown = ~np.isnan(result.what_if[n])
    assert shown.sum() > 1_000
    assert (result.what_if[n, shown] < result.probability[shown]).mean() > 0.99


def test_a_typical_offer_has_no_reason_and_the_no_risk_action(
    model: LoadedModel, scorer: Scorer
) -> None:
    record = {"offer_id": "typical", **model.manifest.typical_values}
    (scored,) = scorer.score_records([record])
    assert scored.reasons == []
    assert scored.action == load_playbook().no_risk.action


def test_a_missing_value_is_said_as_missing_never_as_a_fact(
    scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    table = scorer.writer.table(result, open_offers, scorer.kernel.levers)
    missing = load_playbook().missing.sentence.split("{")[0]  # the template's fixed start
    for rank in (1, 2, 3):
        said = table[table[f"reason_{rank}_value"] == NOT_RECORDED][f"reason_{rank}_sentence"]
        assert all("not recorded" in s for s in said)
        assert all(s.startswith(missing) or " is not recorded" in s for s in said)
    # Counter-offer's own wording states a fact ("is expected: ...") and must not be used.
    blank = open_offers["counteroffer_expected"].isna().to_numpy()
    for rank in (1, 2, 3):
        sentences = table[f"reason_{rank}_sentence"].to_numpy()[blank]
        assert not any("is expected: not recorded" in s for s in sentences if isinstance(s, str))


def test_no_input_is_named_twice_and_no_strong_single_input_is_left_out(
    model: LoadedModel, scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    names, typical = scorer.features.names, model.manifest.typical_values
    floor = load_playbook().effect_floor
    rows_all = range(len(open_offers))
    named = [
        {int(f) for f in (*result.first[:, i], *result.second[:, i]) if f != NONE} for i in rows_all
    ]
    counts = [
        int((result.first[:, i] != NONE).sum() + (result.second[:, i] != NONE).sum())
        for i in rows_all
    ]
    assert all(len(s) == c for s, c in zip(named, counts, strict=True))
    # A row with fewer than three reasons has no other input that alone raises p by the floor.
    short = [i for i in rows_all if (result.first[:, i] == NONE).any()][:400]
    assert short
    rows = open_offers.iloc[short]
    for j, name in enumerate(names):
        if typical.get(name) is None:
            continue
        column = scorer.features[name]
        changed = rows.copy()
        changed[name] = pd.Series([typical[name]] * len(rows), index=rows.index, dtype=object)
        changed[name] = changed[name].astype(rows[name].dtype)
        effect = result.probability[short] - model.decline_probability(changed)
        free = np.asarray([j not in named[i] for i in short])
        said = render_value(column, typical[name])
        differs = np.asarray([render_value(column, v) != said for v in rows[name]])
        assert not (free & differs & (effect >= floor + 1e-9)).any(), name


def test_one_offer_alone_gets_the_same_numbers_as_in_a_batch(
    scorer: Scorer, open_offers: pd.DataFrame, result: KernelResult
) -> None:
    columns = columns_of_frame(open_offers, scorer.features)
    for i in range(0, 2_000, 97):
        one = scorer.kernel.score({n: v[i : i + 1] for n, v in columns.items()}, 1)
        assert one.probability[0] == result.probability[i]
        np.testing.assert_array_equal(one.effect[:, 0], result.effect[:, i])
        np.testing.assert_array_equal(one.first[:, 0], result.first[:, i])
        np.testing.assert_array_equal(one.what_if[:, 0], result.what_if[:, i])


def test_src_reads_no_private_attribute_of_another_object() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
            ):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert found == []
