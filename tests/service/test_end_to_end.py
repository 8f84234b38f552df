"""The service with a real model: reasons, actions, and one answer whatever the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping, load_mapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.scorer import Scorer
from declinerisk.train.run import TrainResult, run
from declinerisk_service.app import create_app
from tests.factories import fast_config
from tests.service.helpers import AUTH, offer, settings_for


def _records(rows: int, seed: int) -> list[dict[str, Any]]:
    """Open demo offers as an ATS would send them: plain JSON values, blanks as null."""
    frame = demo_offers(rows, seed=seed, open_=True)
    frame = frame.drop(columns=["offer_date", "true_decline_probability", "gender", "age_band"])
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    for record in records[::17]:
        record["role_level"] = "astronaut"  # never seen in training
    return records


def test_real_model_answers_with_band_reasons_and_action(real_client: TestClient) -> None:
    response = real_client.post(
        "/v1/scores",
        headers=AUTH,
        json={
            "offers": [
                offer("slow", days_in_process=80, days_since_last_contact=20, competing_offers=3),
                offer(
                    "easy",
                    days_in_process=5,
                    contacts_per_week=4,
                    comp_delta_pct=10,
                    competing_offers=0,
                ),
            ]
        },
    )
    assert response.status_code == 200, response.text
    slow, easy = response.json()["scores"]
    assert slow["decline_probability"] > easy["decline_probability"]
    assert slow["risk_band"] == "high"
    assert 1 <= len(slow["reasons"]) <= 3
    named = {c for reason in slow["reasons"] for c in reason["columns"]}
    assert named & {"days_in_process", "competing_offers", "days_since_last_contact"}
    assert all(r["effect"] >= 0.01 for r in slow["reasons"])
    assert slow["reasons"][0]["sentence"].endswith(".")
    assert slow["action"] and easy["action"]
    # Easy is better than typical everywhere that matters: nothing raises its risk.
    assert easy["reasons"] == [] and easy["risk_band"] == "low"


def test_unknown_category_is_scored_with_a_warning(real_client: TestClient) -> None:
    response = real_client.post(
        "/v1/scores", headers=AUTH, json={"offers": [offer(role_level="astronaut")]}
    )
    (scored,) = response.json()["scores"]
    assert any("role_level" in w and "not seen in training" in w for w in scored["warnings"])


def test_records_and_files_get_the_same_answers_from_the_one_kernel(
    trained: TrainResult,
) -> None:
    model = load_model(trained.folder)
    scorer = Scorer(model)
    records = _records(300, seed=41)
    from_records = scorer.score_records(records)
    frame = pd.DataFrame.from_records(records)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    validated = scorer.validate(frame, ColumnMapping(), "records")
    assert not validated.problems
    from_file = scorer.score(validated.frame)
    p = np.array([s.decline_probability for s in from_records])
    np.testing.assert_array_equal(p, from_file["decline_probability"].to_numpy())
    assert [s.action for s in from_records] == from_file["action"].tolist()
    for rank in (1, 2, 3):
        said = [
            s.reasons[rank - 1].sentence if len(s.reasons) >= rank else None for s in from_records
        ]
        # Text columns are categorical: a missing reason is NaN there.
        texts = from_file[f"reason_{rank}_sentence"].tolist()
        assert said == [t if isinstance(t, str) else None for t in texts]
    # And both equal the library's public prediction (unseen categories included).
    np.testing.assert_allclose(p, model.decline_probability(validated.frame), rtol=0, atol=1e-9)


def test_one_offer_and_many_get_the_same_answer_over_http(real_client: TestClient) -> None:
    offers = [offer(f"o-{i}", days_in_process=5 + 10 * i, competing_offers=i % 3) for i in range(5)]
    together = real_client.post("/v1/scores", json={"offers": offers}, headers=AUTH).json()
    alone = [
        real_client.post("/v1/scores", json={"offers": [o]}, headers=AUTH).json() for o in offers
    ]
    assert [s["decline_probability"] for s in together["scores"]] == [
        a["scores"][0]["decline_probability"] for a in alone
    ]


def test_drift_endpoint_reports_psi_of_recent_scores(real_client: TestClient) -> None:
    recorder = real_client.app.state.runtime.recorder  # type: ignore[attr-defined]
    offers = [offer(f"d-{i}", days_in_process=120 + i, competing_offers=3) for i in range(5)]
    assert real_client.post("/v1/scores", json={"offers": offers}, headers=AUTH).status_code == 200
    recorder.flush()
    body = real_client.get("/v1/monitoring/drift?days=1", headers=AUTH).json()
    assert body["rows"] == 5
    assert (body["stable_below"], body["significant_above"]) == (0.1, 0.25)
    # Five offers are too few to judge: no PSI, never a shift.
    assert body["min_rows"] == 200
    assert {(line["psi"], line["verdict"]) for line in body["lines"]} == {
        (None, "too few offers to judge")
    }
    for batch in range(1, 40):  # 5 offers per request in the test settings: 200 in all
        offers = [
            offer(f"d-{batch}-{i}", days_in_process=120 + i, competing_offers=3) for i in range(5)
        ]
        response = real_client.post("/v1/scores", json={"offers": offers}, headers=AUTH)
        assert response.status_code == 200
    recorder.flush()
    body = real_client.get("/v1/monitoring/drift?days=1", headers=AUTH).json()
    assert body["rows"] == 200
    lines = {line["name"]: line for line in body["lines"]}
    assert lines["days_in_process"]["verdict"] == "significant shift"
    assert lines["days_in_process"]["psi"] > 0.25
    assert real_client.get("/v1/monitoring/drift").status_code == 401


def test_a_string_in_a_numeric_extra_is_a_422_with_a_real_model(tmp_path: Path) -> None:
    frame = demo_offers(1_500, seed=31)
    rng = np.random.default_rng(31)
    frame["tenure_years"] = rng.uniform(0, 15, len(frame)).round(1)
    frame["office"] = rng.choice(["Berlin", "Austin"], len(frame))
    data = tmp_path / "offers.csv"
    frame.to_csv(data, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[extra]\nnumeric = ["tenure_years"]\ncategorical = ["office"]\n')
    result = run(fast_config(tmp_path / "models"), data, load_mapping(mapping))
    models = result.folder.parent
    settings = settings_for(tmp_path, models_dir=models, model=str(models / "latest"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for extra, field in (
            ({"tenure_years": "ten", "office": "Berlin"}, "offers.0.extra.tenure_years"),
            ({"tenure_years": 3.0, "office": 7}, "offers.0.extra.office"),
        ):
            response = client.post(
                "/v1/scores", json={"offers": [offer(extra=extra)]}, headers=AUTH
            )
            assert response.status_code == 422, response.text
            assert [d["field"] for d in response.json()["error"]["details"]] == [field]
        good = {"offers": [offer(extra={"tenure_years": 3.5, "office": "Berlin"})]}
        assert client.post("/v1/scores", json=good, headers=AUTH).status_code == 200
