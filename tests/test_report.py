"""The model report, the fairness audit, drift (PSI) and decline-reason analytics."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from declinerisk.artifacts.folder import read_manifest
from declinerisk.data.features import FeatureSet
from declinerisk.data.schema import column
from declinerisk.monitoring import drift, fairness
from declinerisk.monitoring.decline_reasons import categorise, html_page, summarise
from declinerisk.monitoring.report import EVALUATION_FILE, SECTIONS, build_report
from declinerisk.train.run import TrainResult


def test_training_writes_a_complete_self_contained_report(trained: TrainResult) -> None:
    page = (trained.folder / "report.html").read_text()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page, section
    # ROC + precision-recall, reliability, lift, histograms, drivers.
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{500,}"', page)) == 5
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page
    assert "gender x age_band" in page  # demo data carries protected attributes


def test_manifest_records_fairness_drivers_and_drift_reference(trained: TrainResult) -> None:
    manifest = read_manifest(trained.folder)
    attributes = {g.attribute for g in manifest.fairness}
    assert {"gender", "age_band", "gender x age_band"} <= attributes
    # One driver per term: every input's own, and each learned pair as "a & b".
    names = set(manifest.feature_set.names)
    mains = {d for d in manifest.drivers if " & " not in d}
    pairs = [d.split(" & ") for d in manifest.drivers if " & " in d]
    assert mains == names
    assert pairs and all(len(p) == 2 and set(p) <= names for p in pairs)
    assert max(manifest.drivers, key=manifest.drivers.__getitem__) in {
        "days_in_process",
        "competing_offers",
        "comp_delta_pct",
        "days_since_last_contact",
    }
    assert set(manifest.drift_reference.inputs) == set(manifest.feature_set.names)


def _constructed_groups() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Group A is flagged high at 40%, group B at 20%, group C has only 12 offers."""
    gender = np.array(["A"] * 200 + ["B"] * 200 + ["C"] * 12)
    flagged = np.zeros(len(gender), dtype=bool)
    flagged[:80] = True  # 80 of 200 in A
    flagged[200:240] = True  # 40 of 200 in B
    flagged[400:406] = True  # 6 of 12 in C
    rng = np.random.default_rng(0)
    declined = (rng.random(len(gender)) < 0.3).astype(int)
    probability = np.clip(0.3 + 0.2 * (declined - 0.3) + rng.normal(0, 0.1, len(gender)), 0, 1)
    return pd.DataFrame({"gender": gender}), declined, probability, flagged


def test_a_group_flagged_at_half_the_rate_has_impact_ratio_one_half() -> None:
    frame, declined, probability, flagged = _constructed_groups()
    groups = {g.group: g for g in fairness.audit(frame, declined, probability, flagged)}
    assert groups["A"].impact_ratio == pytest.approx(1.0)
    assert groups["B"].impact_ratio == pytest.approx(0.5)
    assert groups["B"].adverse and not groups["A"].adverse
    assert groups["C"].too_small and groups["C"].impact_ratio is None
    assert not groups["C"].adverse


def test_the_report_shows_and_flags_the_adverse_ratio(trained: TrainResult) -> None:
    frame, declined, probability, flagged = _constructed_groups()
    audit = fairness.audit(frame, declined, probability, flagged)
    manifest = read_manifest(trained.folder).model_copy(update={"fairness": audit})
    evaluation = pd.read_parquet(trained.folder / EVALUATION_FILE)
    page = build_report(manifest, evaluation)
    row = re.search(r'<tr class="flag"><td>gender</td><td>B</td>.*?</tr>', page)
    assert row is not None
    assert "<td>0.50</td>" in row.group(0) and "adverse impact" in row.group(0)
    assert "1 groups have an impact ratio under 0.8" in page
    assert "too small to judge" in page


def test_ages_become_bands_for_the_audit() -> None:
    frame = pd.DataFrame({"age": [22, 35, 47, 61, None]})
    bands = fairness.protected_columns(frame)["age_band"].tolist()
    assert bands == ["under 30", "30-39", "40-49", "50 and over", "(not given)"]


def test_psi_of_identical_distributions_is_zero() -> None:
    shares = np.array([0.1, 0.2, 0.3, 0.4])
    assert drift.psi(shares, shares) == 0.0
    assert drift.psi(shares * 1000, shares * 37) == pytest.approx(0.0, abs=1e-12)


def test_psi_of_a_known_shift_matches_the_hand_computation() -> None:
    reference = np.array([0.25, 0.25, 0.25, 0.25])
    current = np.array([0.10, 0.20, 0.30, 0.40])
    by_hand = sum((c - r) * math.log(c / r) for r, c in zip(reference, current, strict=True))
    assert round(drift.psi(reference, current), 3) == round(by_hand, 3) == 0.228


def test_drift_report_names_a_shifted_input() -> None:
    rng = np.random.default_rng(1)
    features = FeatureSet((column("days_in_process"), column("department")))
    training = pd.DataFrame(
        {
            "days_in_process": rng.gamma(3, 7, 5_000),
            "department": rng.choice(["sales", "ops"], 5_000),
        }
    )
    ref = drift.reference(training, features, rng.random(5_000))
    same = drift.drift_report(ref, training, None)
    assert all(line.verdict == "stable" for line in same)
    shifted = training.assign(days_in_process=training["days_in_process"] + 30)
    lines = {line.name: line for line in drift.drift_report(ref, shifted, rng.random(5_000))}
    assert lines["days_in_process"].verdict == "significant shift"
    assert lines["department"].verdict == "stable"
    assert lines["decline_probability (score)"].verdict == "stable"


def test_reason_categories() -> None:
    assert categorise("Took a competing offer at a startup") == "competing offer"
    assert categorise("salary too low") == "compensation"
    assert categorise("Current employer counter-offered") == "counter-offer or promotion"
    assert categorise("The process took too long") == "process too long"
    assert categorise("partner's job") == "other"
    assert categorise(None) is None


def test_reasons_summary_counts() -> None:
    offers = pd.DataFrame(
        {
            "offer_date": pd.to_datetime(
                ["2026-01-05", "2026-01-20", "2026-02-02", "2026-02-10", "2026-02-11", "2026-02-12"]
            ),
            "department": ["sales", "sales", "ops", "ops", "ops", "sales"],
            "days_in_process": [10, 12, 35, 50, 20, 45],
            "outcome": ["declined", "accepted", "declined", "declined", "accepted", "declined"],
            "decline_reason": ["competing offer", None, "salary", "too slow", None, None],
        }
    )
    summary = summarise(offers)
    assert (summary.declines, summary.offers) == (4, 6)
    assert summary.by_month.loc["2026-02", "compensation"] == 1
    assert summary.by_month.loc["2026-02", "process too long"] == 1
    assert summary.by_department.loc["sales", "(not stated)"] == 1
    days = summary.by_days
    assert days.loc["0-14 days", "offers"] == 2 and days.loc["0-14 days", "decline_rate"] == 0.5
    assert days.loc["43+ days", "decline_rate"] == 1.0


HOSTILE = "<script>alert(1)</script>"


def test_hostile_text_in_the_fairness_table_and_source_is_escaped(trained: TrainResult) -> None:
    manifest = read_manifest(trained.folder)
    group = manifest.fairness[0].model_copy(update={"group": HOSTILE, "attribute": HOSTILE})
    data = manifest.data.model_copy(update={"source": HOSTILE})
    hostile = manifest.model_copy(update={"fairness": [group], "data": data})
    page = build_report(hostile, pd.read_parquet(trained.folder / EVALUATION_FILE))
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # source, attribute, group


def test_hostile_department_in_the_decline_reasons_page_is_escaped() -> None:
    offers = pd.DataFrame(
        {
            "offer_date": pd.to_datetime(["2026-01-05", "2026-01-20"]),
            "department": [HOSTILE, "ops"],
            "days_in_process": [10, 40],
            "outcome": ["declined", "declined"],
            "decline_reason": ["salary", None],
        }
    )
    page = html_page(summarise(offers))
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h2>By department</h2>" in page
