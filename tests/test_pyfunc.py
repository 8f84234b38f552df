"""The MLflow pyfunc: the full score per row, the same as the kernel's and the service's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.rows import REFUSAL, REFUSED, SCORED, STATUS, row_columns
from declinerisk.scoring.scorer import Scorer
from declinerisk.tracking.pyfunc import DeclineRiskPyfunc
from declinerisk.train.run import TrainResult
from tests.factories import loaded_pyfunc


@pytest.fixture(scope="module")
def pyfunc(trained: TrainResult) -> DeclineRiskPyfunc:
    return loaded_pyfunc(trained)


def _planted(rows: int, seed: int) -> pd.DataFrame:
    """Open demo offers with a few invalid values, as text so any value can be planted."""
    frame = demo_offers(rows, seed, open_=True).astype(object)
    frame.loc[3, "comp_delta_pct"] = "a lot"
    frame.loc[7, "days_in_process"] = -4
    frame.loc[7, "competing_offers"] = 2.5
    frame.loc[11, "offer_id"] = None
    frame.loc[13, "offer_id"] = frame.loc[12, "offer_id"]  # refused within one call, as the API
    return frame


def test_pyfunc_rows_equal_the_kernels_for_valid_and_invalid_rows(
    pyfunc: DeclineRiskPyfunc, trained: TrainResult
) -> None:
    offers = _planted(400, seed=5)
    predicted = pyfunc.predict(None, offers)

    scorer = Scorer(load_model(trained.folder))
    numbered = offers.set_axis(pd.RangeIndex(1, len(offers) + 1, name="row"))
    validated = scorer.validate(numbered, ColumnMapping(), "request")
    expected = scorer.score(validated.valid())
    assert list(predicted.columns) == [name for name, _ in row_columns(scorer)]
    assert len(predicted) == len(offers)
    refused = predicted[STATUS] == REFUSED
    assert np.flatnonzero(refused).tolist() == [3, 7, 11, 13]
    assert predicted.loc[13, REFUSAL] == "offer_id: duplicate offer_id (first seen at row 13)"
    assert predicted.loc[7, REFUSAL] == (
        "competing_offers: must be a whole number; days_in_process: must be between 0 and 730"
    )
    assert (predicted.loc[~refused, REFUSAL] == "").all()
    assert predicted.loc[refused, "decline_probability"].isna().all()

    scored = predicted[predicted[STATUS] == SCORED].reset_index(drop=True)
    expected = expected.reset_index(drop=True)
    assert len(scored) == len(expected) == len(offers) - 4
    for name in expected.columns:
        if expected[name].dtype.kind == "f":
            np.testing.assert_array_equal(scored[name].to_numpy(), expected[name].to_numpy())
        else:
            same = expected[name].astype(object).where(expected[name].notna(), "")
            assert scored[name].tolist() == same.tolist(), name
