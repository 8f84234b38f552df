"""What the service answers for an offer is what the MLflow pyfunc (and so `mlflow models
serve` of the registered model) answers: probability, band, reasons, action, what-ifs."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.rows import SCORED, STATUS
from declinerisk.train.run import TrainResult
from tests.service.helpers import AUTH
from tests.test_pyfunc import loaded_pyfunc

DROPPED = ["offer_date", "true_decline_probability", "gender", "age_band"]


def _records(rows: int, seed: int) -> list[dict[str, Any]]:
    """Open demo offers as an ATS would send them: plain JSON values, blanks as null."""
    frame = demo_offers(rows, seed, open_=True).drop(columns=DROPPED)
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def test_pyfunc_answers_as_the_service_does(trained: TrainResult, real_client: TestClient) -> None:
    pyfunc = loaded_pyfunc(trained)
    records = _records(40, seed=9)
    for record in records[::13]:
        record["role_level"] = "astronaut"  # never seen in training
    answers = []
    for start in range(0, len(records), 5):  # the test settings' most offers per request
        served = real_client.post(
            "/v1/scores", json={"offers": records[start : start + 5]}, headers=AUTH
        )
        assert served.status_code == 200, served.text
        answers += served.json()["scores"]
    predicted = pyfunc.predict(None, pd.DataFrame.from_records(records))
    for answer, (_, row) in zip(answers, predicted.iterrows(), strict=True):
        assert row[STATUS] == SCORED
        assert row["offer_id"] == answer["offer_id"]
        assert row["decline_probability"] == answer["decline_probability"]
        assert row["risk_band"] == answer["risk_band"]
        assert row["action"] == answer["action"]
        assert row["model_version"] == answer["model_version"]
        for rank in range(1, 4):
            reason = answer["reasons"][rank - 1] if len(answer["reasons"]) >= rank else None
            prefix = f"reason_{rank}_"
            if reason is None:
                assert row[prefix + "sentence"] == ""
                continue
            assert row[prefix + "column"] == " & ".join(reason["columns"])
            assert row[prefix + "value"] == " & ".join(reason["values"])
            assert row[prefix + "typical"] == " & ".join(reason["typical"])
            assert row[prefix + "effect"] == reason["effect"]
            assert row[prefix + "sentence"] == reason["sentence"]
        what_ifs = {
            name.removeprefix("what_if_"): value
            for name, value in row.items()
            if name.startswith("what_if_") and not pd.isna(value)
        }
        assert what_ifs == {w["column"]: w["probability"] for w in answer["what_ifs"]}
