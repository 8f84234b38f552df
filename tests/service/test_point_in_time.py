"""Offers scored through the API become point-in-time training rows with their real date."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.helpers import AUTH, offer


def test_the_offer_date_sent_with_a_score_is_the_training_offer_date(
    fake_client: TestClient,
) -> None:
    body = {"offers": [offer("dated", offer_date="2026-03-02"), offer("undated")]}
    assert fake_client.post("/v1/scores", json=body, headers=AUTH).status_code == 200
    runtime = fake_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.recorder.flush()
    (record,) = runtime.store.scores("dated")
    assert record.inputs["offer_date"] == "2026-03-02"
    for offer_id in ("dated", "undated"):
        outcome = {"offer_id": offer_id, "event_id": "e-1", "outcome": "accepted"}
        assert fake_client.post("/v1/outcomes", json=outcome, headers=AUTH).status_code == 200
    frame = runtime.store.training_frame().set_index("offer_id")
    assert frame.loc["dated", "offer_date"] == "2026-03-02"
    # Without a date, the day of the first score stands in.
    scored_on = runtime.store.scores("undated")[0].scored_at.date().isoformat()
    assert frame.loc["undated", "offer_date"] == scored_on


def test_a_real_model_scores_an_offer_with_its_date_as_without(real_client: TestClient) -> None:
    body = {"offers": [offer("with", offer_date="2026-03-02"), offer("without")]}
    response = real_client.post("/v1/scores", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    with_date, without = response.json()["scores"]
    assert with_date["decline_probability"] == without["decline_probability"]
