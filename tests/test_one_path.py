"""One path: the same open offers give the same scores and the same refusals however they come.

1,000 demo open offers, a few dozen made invalid in different ways, go through the service
(``POST /v1/scores`` in batches within the request limit) and the file scorer. Each path
returns an :class:`Outcome`; every path must agree with the first exactly. A third path (the
MLflow pyfunc) is one more function returning an Outcome, added to ``PATHS``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.scorer import Scorer, errors_path, score_file
from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from tests.service.conftest import AUTH, settings_for

BATCH = 100
INPUTS = [
    "offer_id",
    "days_in_process",
    "contacts_per_week",
    "comp_delta_pct",
    "competing_offers",
    "days_since_last_contact",
    "counteroffer_expected",
    "interview_experience",
    "role_level",
    "department",
    "source",
    "requires_relocation",
    "notice_period_days",
]
# position -> (column, value): each kind of fault a few times, spread over the batches.
FAULTS: dict[int, tuple[str, Any]] = {
    **{p: ("counteroffer_expected", "perhaps") for p in (3, 140, 288, 431, 577, 902)},
    **{p: ("days_in_process", 900) for p in (7, 151, 299, 444, 612, 955)},
    **{p: ("interview_experience", 9) for p in (11, 222, 515)},
    **{p: ("contacts_per_week", "lots") for p in (19, 163, 340, 468, 701, 988)},
    **{p: ("competing_offers", 2.5) for p in (25, 377, 810)},
    **{p: ("offer_id", None) for p in (31, 185, 362, 499, 733, 871)},
}
# position -> earlier position (same batch) whose offer_id it repeats.
DUPLICATES = {45: 40, 207: 200, 393: 390, 529: 520, 768: 760, 946: 941}


@dataclass(frozen=True)
class Outcome:
    """What a path made of the offers, keyed by position in the input (from 0)."""

    scores: dict[int, tuple[float, str, tuple[str, ...], str]]  # probability, band, reasons, action
    refused: set[tuple[int, str, str]]  # position, field, message


def _offers() -> list[dict[str, Any]]:
    frame = demo_offers(1_000, seed=8, open_=True)
    records: list[dict[str, Any]] = json.loads(frame[INPUTS].to_json(orient="records"))
    for position, (column, value) in FAULTS.items():
        records[position][column] = value
    for position, first in DUPLICATES.items():
        records[position]["offer_id"] = records[first]["offer_id"]
    return records


def through_the_api(offers: list[dict[str, Any]], trained: TrainResult, tmp: Path) -> Outcome:
    models = trained.folder.parent
    settings = settings_for(
        tmp,
        models_dir=models,
        model=str(trained.folder),
        max_offers_per_request=BATCH,
        max_body_bytes=1 << 20,
    )
    scores: dict[int, tuple[float, str, tuple[str, ...], str]] = {}
    refused: set[tuple[int, str, str]] = set()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for start in range(0, len(offers), BATCH):
            batch = list(range(start, min(start + BATCH, len(offers))))
            response = _post(client, [offers[p] for p in batch])
            if response.status_code == 422:  # the request is refused whole, naming each field
                bad = set()
                for detail in response.json()["error"]["details"]:
                    _, index, field = detail["field"].split(".", 2)
                    bad.add(batch[int(index)])
                    refused.add((batch[int(index)], field, detail["message"]))
                batch = [p for p in batch if p not in bad]
                response = _post(client, [offers[p] for p in batch])
            assert response.status_code == 200, response.text
            for position, score in zip(batch, response.json()["scores"], strict=True):
                reasons = tuple(r["sentence"] for r in score["reasons"])
                scores[position] = (
                    score["decline_probability"],
                    score["risk_band"],
                    reasons,
                    score["action"],
                )
    return Outcome(scores, refused)


def _post(client: TestClient, offers: list[dict[str, Any]]) -> Any:
    return client.post("/v1/scores", json={"offers": offers}, headers=AUTH)


def through_the_file_scorer(
    offers: list[dict[str, Any]], trained: TrainResult, tmp: Path
) -> Outcome:
    source, output = tmp / "open.csv", tmp / "scored.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, INPUTS)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in o.items()} for o in offers)
    score_file(Scorer(load_model(trained.folder)), source, output, ColumnMapping())
    position_of = {}  # scored rows carry ids; valid ids are unique, so they map back
    for position, o in enumerate(offers):
        position_of.setdefault(str(o["offer_id"]), position)
    scores = {}
    with output.open() as handle:
        for row in csv.DictReader(handle):
            reasons = tuple(
                row[f"reason_{k}_sentence"] for k in (1, 2, 3) if row[f"reason_{k}_sentence"]
            )
            scores[position_of[row["offer_id"]]] = (
                float(row["decline_probability"]),
                row["risk_band"],
                reasons,
                row["action"],
            )
    with errors_path(output).open() as handle:
        refused = {(int(r["row"]) - 1, r["column"], r["reason"]) for r in csv.DictReader(handle)}
    return Outcome(scores, refused)


PATHS: dict[str, Callable[[list[dict[str, Any]], TrainResult, Path], Outcome]] = {
    "api": through_the_api,
    "file": through_the_file_scorer,
}


@pytest.fixture(scope="module")
def outcomes(
    trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    offers = _offers()
    yield {
        name: path(offers, trained, tmp_path_factory.mktemp(name)) for name, path in PATHS.items()
    }


def test_every_offer_is_scored_or_refused_by_each_path(outcomes: dict[str, Outcome]) -> None:
    faulty = set(FAULTS) | set(DUPLICATES)
    for name, outcome in outcomes.items():
        refused = {position for position, _, _ in outcome.refused}
        assert refused == faulty, name
        assert set(outcome.scores) == set(range(1_000)) - faulty, name


@pytest.mark.parametrize("name", [n for n in PATHS if n != "api"])
def test_paths_give_the_same_scores(outcomes: dict[str, Outcome], name: str) -> None:
    api, other = outcomes["api"].scores, outcomes[name].scores
    assert set(api) == set(other)
    for position, (probability, band, reasons, action) in api.items():
        assert math.isclose(probability, other[position][0], rel_tol=0, abs_tol=0), position
        assert (band, reasons, action) == other[position][1:], position


@pytest.mark.parametrize("name", [n for n in PATHS if n != "api"])
def test_paths_refuse_the_same_fields_with_the_same_messages(
    outcomes: dict[str, Outcome], name: str
) -> None:
    assert outcomes["api"].refused == outcomes[name].refused
