"""One path: the same open offers give the same scores and the same refusals however they come.

1,000 demo open offers, a few dozen made invalid in different ways, go through the service
(``POST /v1/scores``, all in one request, so its rows are the file's: ``offers[0]`` is row 1),
the file scorer (in chunks of 128 rows, so some duplicate ids repeat an earlier chunk's) and
the MLflow pyfunc (one ``predict`` call, as MLflow loads it). Each path returns an
:class:`Outcome`; every path must agree with the API exactly: the same probabilities, bands,
reasons (sentences and effects), actions and what-ifs, and the same refusals (rows, columns,
messages).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.rows import REFUSAL, SCORED, STATUS
from declinerisk.scoring.scorer import Scorer, errors_path, score_file
from declinerisk.train.run import TrainResult
from declinerisk_service.app import create_app
from tests.factories import loaded_pyfunc
from tests.service.helpers import AUTH, settings_for

OFFERS = 1_000
CHUNK_ROWS = 128  # the file scorer's chunks: duplicates below span them
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
# position (from 0) -> (column, value): each kind of fault at least three times.
FAULTS: dict[int, tuple[str, Any]] = {
    **{p: ("counteroffer_expected", "perhaps") for p in (3, 140, 288, 431, 577, 902)},
    **{p: ("days_in_process", 900) for p in (7, 151, 299, 444, 612, 955)},
    **{p: ("interview_experience", 9) for p in (11, 222, 515)},
    **{p: ("contacts_per_week", "lots") for p in (19, 163, 340, 468, 701, 988)},
    **{p: ("competing_offers", 2.5) for p in (25, 377, 810)},
    **{p: ("offer_id", None) for p in (31, 185, 362, 499, 733, 871)},
}
# position -> earlier position whose offer_id it repeats: in the same chunk of the file, in an
# earlier chunk, and (3) one whose first holder is itself refused for another fault.
DUPLICATES = {45: 40, 207: 200, 393: 130, 529: 20, 768: 760, 946: 3}

Reasons = tuple[tuple[str, float], ...]  # (sentence, effect), strongest first
WhatIfs = frozenset[tuple[str, float]]  # (column, probability after the action)


@dataclass(frozen=True)
class Scored:
    probability: float
    band: str
    reasons: Reasons
    action: str
    what_ifs: WhatIfs


@dataclass(frozen=True)
class Outcome:
    """What a path made of the offers, keyed by position in the input (from 0)."""

    scores: dict[int, Scored]
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
    """One request of every offer; the 422 names every refusal; the rest is then scored."""
    settings = settings_for(
        tmp,
        models_dir=trained.folder.parent,
        model=str(trained.folder),
        max_offers_per_request=OFFERS,
        max_body_bytes=1 << 20,
    )
    refused: set[tuple[int, str, str]] = set()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = _post(client, offers)
        assert response.status_code == 422, response.text  # refused whole, naming each field
        for detail in response.json()["error"]["details"]:
            _, index, field = detail["field"].split(".", 2)
            refused.add((int(index), field, detail["message"]))
        kept = [p for p in range(len(offers)) if p not in {p for p, _, _ in refused}]
        response = _post(client, [offers[p] for p in kept])
        assert response.status_code == 200, response.text
        scores = {
            position: Scored(
                score["decline_probability"],
                score["risk_band"],
                tuple((r["sentence"], r["effect"]) for r in score["reasons"]),
                score["action"],
                frozenset((w["column"], w["probability"]) for w in score["what_ifs"]),
            )
            for position, score in zip(kept, response.json()["scores"], strict=True)
        }
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
    scorer = Scorer(load_model(trained.folder))
    score_file(scorer, source, output, ColumnMapping(), chunk_rows=CHUNK_ROWS)
    position_of = {}  # scored rows carry ids; valid ids are unique, so they map back
    for position, o in enumerate(offers):
        position_of.setdefault(str(o["offer_id"]), position)
    with output.open() as handle:
        scores = {position_of[row["offer_id"]]: _scored(row) for row in csv.DictReader(handle)}
    with errors_path(output).open() as handle:
        refused = {(int(r["row"]) - 1, r["column"], r["reason"]) for r in csv.DictReader(handle)}
    return Outcome(scores, refused)


def through_the_pyfunc(offers: list[dict[str, Any]], trained: TrainResult, _: Path) -> Outcome:
    """One ``predict`` call of the pyfunc as MLflow loads it: a row per offer, scored or refused
    (``refusal``: "column: message; column: message")."""
    predicted = loaded_pyfunc(trained).predict(None, pd.DataFrame(offers, columns=INPUTS))
    scores, refused = {}, set()
    for position, row in enumerate(predicted.to_dict("records")):
        if row[STATUS] == SCORED:
            scores[position] = _scored(row)
            continue
        for said in row[REFUSAL].split("; "):
            column, message = said.split(": ", 1)
            refused.add((position, column, message))
    return Outcome(scores, refused)


def _scored(row: Mapping[str, Any]) -> Scored:
    """A scored row of the file scorer's columns (CSV text or the pyfunc's values)."""
    ranks = [k for k in (1, 2, 3) if row[f"reason_{k}_sentence"]]
    what_ifs = {
        (name.removeprefix("what_if_"), float(value))
        for name, value in row.items()
        if name.startswith("what_if_") and value != "" and value == value  # NaN: no what-if
    }
    return Scored(
        float(row["decline_probability"]),
        row["risk_band"],
        tuple((row[f"reason_{k}_sentence"], float(row[f"reason_{k}_effect"])) for k in ranks),
        row["action"],
        frozenset(what_ifs),
    )


PATHS: dict[str, Callable[[list[dict[str, Any]], TrainResult, Path], Outcome]] = {
    "api": through_the_api,
    "file": through_the_file_scorer,
    "pyfunc": through_the_pyfunc,
}


@pytest.fixture(scope="module")
def outcomes(
    trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    offers = _offers()
    yield {
        name: path(offers, trained, tmp_path_factory.mktemp(name)) for name, path in PATHS.items()
    }


def test_the_offers_hold_many_valid_ones_and_each_fault_at_least_three_times() -> None:
    kinds = Counter((column, repr(value)) for column, value in FAULTS.values())
    assert len(kinds) == 6 and min(kinds.values()) >= 3, kinds
    assert len(DUPLICATES) >= 3
    assert not set(FAULTS) & set(DUPLICATES)
    assert OFFERS - len(FAULTS) - len(DUPLICATES) >= 900
    chunks = {(p // CHUNK_ROWS, first // CHUNK_ROWS) for p, first in DUPLICATES.items()}
    assert any(a == b for a, b in chunks) and any(a != b for a, b in chunks)


def test_every_offer_is_scored_or_refused_by_each_path(outcomes: dict[str, Outcome]) -> None:
    faulty = set(FAULTS) | set(DUPLICATES)
    for name, outcome in outcomes.items():
        refused = {position for position, _, _ in outcome.refused}
        assert refused == faulty, name
        assert set(outcome.scores) == set(range(OFFERS)) - faulty, name
        assert len(outcome.scores) >= 900, name


def test_each_path_names_the_first_holder_of_a_repeated_id(outcomes: dict[str, Outcome]) -> None:
    expected = {
        (p, "offer_id", f"duplicate offer_id (first seen at row {first + 1})")
        for p, first in DUPLICATES.items()
    }
    for name, outcome in outcomes.items():
        assert {r for r in outcome.refused if r[0] in DUPLICATES} == expected, name


@pytest.mark.parametrize("name", [n for n in PATHS if n != "api"])
def test_paths_give_the_same_scores(outcomes: dict[str, Outcome], name: str) -> None:
    api, other = outcomes["api"].scores, outcomes[name].scores
    assert set(api) == set(other)
    for position, scored in api.items():
        # Exact: one kernel, so the very same floating-point numbers.
        assert scored == other[position], position
    assert sum(bool(s.reasons) for s in api.values()) >= len(api) // 2
    assert sum(bool(s.what_ifs) for s in api.values()) >= len(api) // 2
    assert len({s.band for s in api.values()}) == 3


@pytest.mark.parametrize("name", [n for n in PATHS if n != "api"])
def test_paths_refuse_the_same_fields_with_the_same_messages(
    outcomes: dict[str, Outcome], name: str
) -> None:
    assert len(outcomes["api"].refused) >= len(FAULTS) + len(DUPLICATES)
    assert outcomes["api"].refused == outcomes[name].refused
