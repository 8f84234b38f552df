"""SQLite score records go in through ``ScoreInsert`` (multi-row statements, bound by the
column types' processors): the database must hold exactly what SQLAlchemy's own insert of the
same rows writes, value for value and type for type."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import event, insert

from declinerisk.store import privacy
from declinerisk.store.database import SCORE_TABLE, json_text, make_engine, open_store
from declinerisk.store.score_insert import ROWS_PER_STATEMENT, ScoreInsert

SCORE_COLUMNS = [c.name for c in SCORE_TABLE.columns if not c.primary_key]


def _rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Score rows with the odd values a store meets: present and absent optional columns,
    None inside JSON, floats at full precision, non-ASCII text, other time zones."""
    rng = random.Random(seed)
    stamps = [
        datetime(2026, 5, 4, 12, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 12, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 12, 0, tzinfo=timezone(timedelta(hours=5))),
        datetime(2026, 5, 4, 12, 0, 1, 999999),
    ]
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "request_id": f"r{i // 100}",
            "offer_id": rng.choice(["o-1", "ö-ü 2", "x" * 256, str(10**30), f"id-{i}"]),
            "model_version": "m1",
            "inputs": {
                "days_in_process": rng.random() * 100,
                "department": rng.choice(["sales", None, "R&D ✓", ""]),
                "competing_offers": rng.randint(0, 5),
                "counteroffer_expected": rng.choice([True, False, None]),
            },
            "probability": rng.choice([rng.random(), 0.1 + 0.2, 5e-324, 1.0]),
            "band": rng.choice(["low", "medium", "high"]),
            "reasons": [{"effect": rng.random(), "sentence": "Pay is 3% below the ask — call."}],
            "action": rng.choice(["Call.", "", "Ring ☎"]),
            # Rows of one request share a timestamp object (bound once): runs of one object,
            # equal but distinct objects, other zones and fresh ones.
            "scored_at": rng.choice([*stamps, datetime.now(UTC) + timedelta(microseconds=i)])
            if rng.random() < 0.3
            else stamps[(i // 7) % len(stamps)],
            "what_ifs": rng.choice([[{"probability": rng.random()}], [], None]),
            "warnings": ["not a column: kept for the outbox only"],
        }
        if rng.random() < 0.2:
            del row["what_ifs"]  # spooled before the column existed: SQL NULL
        rows.append(row)
    return rows


def _stored(path: Path) -> list[tuple[Any, ...]]:
    """Every stored value with its SQLite storage class, row by row."""
    names = sorted(SCORE_COLUMNS)
    select = ", ".join(f"{name}, typeof({name})" for name in names)
    with closing(sqlite3.connect(path)) as connection:  # sqlite3's own `with` only commits
        return connection.execute(f"SELECT {select} FROM score_records ORDER BY id").fetchall()


def test_sqlite_rows_are_stored_exactly_as_sqlalchemys_insert_stores_them(
    tmp_path: Path,
) -> None:
    rows = _rows(2 * ROWS_PER_STATEMENT + 123, seed=3)  # full statements and a remainder
    ours = open_store(f"sqlite:///{tmp_path}/ours.db")
    ours.add_scores(rows)
    theirs = open_store(f"sqlite:///{tmp_path}/theirs.db")
    with theirs.engine.begin() as connection:
        for row in rows:  # one by one: a Core executemany needs the same keys in every row
            connection.execute(
                insert(SCORE_TABLE), {k: v for k, v in row.items() if k in SCORE_COLUMNS}
            )
    stored = _stored(tmp_path / "ours.db")
    names = sorted(SCORE_COLUMNS)
    assert len(stored) == len(rows)
    assert stored == _stored(tmp_path / "theirs.db")
    # The comparison has teeth: SQL NULL and JSON 'null' were both stored, and floats kept
    # every bit.
    stored_what_ifs = {
        (row[2 * names.index("what_ifs")], row[2 * names.index("what_ifs") + 1]) for row in stored
    }
    assert {(None, "null"), ("null", "text")} <= stored_what_ifs
    originals = [r for r in rows if r["offer_id"] == "o-1"]
    assert originals
    for record, row in zip(ours.scores("o-1"), originals, strict=True):
        assert record.probability.hex() == float(row["probability"]).hex()
        assert record.inputs == row["inputs"]
        assert record.what_ifs == row.get("what_ifs")
    ours.engine.dispose()
    theirs.engine.dispose()


def test_a_batch_of_one_and_an_empty_batch(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    store.add_scores([])
    (row,) = _rows(1, seed=4)
    store.add_scores([row])
    assert store.count_scores() == 1
    (record,) = store.scores(row["offer_id"])
    assert record.probability == row["probability"]
    store.engine.dispose()


class _Recording:
    """Stands in for a connection: keeps each statement and its parameters."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.connection = SimpleNamespace(dbapi_connection=sqlite3.connect(":memory:"))

    def exec_driver_sql(self, sql: str, parameters: tuple[Any, ...]) -> None:
        self.calls.append((sql, parameters))


def _executed(insert_rows: ScoreInsert, rows: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The statements and parameters ``insert_rows`` sends for ``rows``."""
    connection = _Recording()
    with closing(connection.connection.dbapi_connection):
        insert_rows.execute(connection, rows)  # type: ignore[arg-type]
    return connection.calls


def _bound(calls: list[tuple[str, Any]]) -> list[Any]:
    """Every bound value of ``calls``, in order."""
    return [value for _, parameters in calls for value in parameters]


def test_any_batch_size_uses_a_few_statement_texts_and_binds_every_row_once() -> None:
    """The driver keeps every statement text it prepares: batch sizes must not each make one."""
    insert_rows = ScoreInsert(SCORE_TABLE, make_engine("sqlite://").dialect)
    names = [c.name for c in SCORE_TABLE.columns if not c.primary_key]
    width, offer_id = len(names), names.index("offer_id")
    texts: set[str] = set()
    for count in [1, 2, 3, 7, 255, 256, 257, 511, 600, 1000, 2000]:
        rows = _rows(count, seed=count)
        calls = _executed(insert_rows, rows)
        bound = _bound(calls)
        assert len(bound) == count * width
        assert bound[offer_id::width] == [row["offer_id"] for row in rows]  # in order, once
        for sql, parameters in calls:
            assert sql.count("?") == len(parameters) <= ROWS_PER_STATEMENT * width
        texts |= {sql for sql, _ in calls}
    assert len(texts) <= ROWS_PER_STATEMENT.bit_length()


def test_an_sqlite_allowing_999_parameters_stores_big_batches_of_many_offers(
    tmp_path: Path,
) -> None:
    """SQLite before 3.32 allows 999 parameters a statement: a spool replayed at once (here
    1,500 rows of 1,500 offers) must still go in, statements and erased-offer checks alike."""
    store = open_store(f"sqlite:///{tmp_path}/store.db")

    @event.listens_for(store.engine, "connect")
    def _old_limit(connection: sqlite3.Connection, _: object) -> None:
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)

    store.engine.dispose()  # new connections get the limit
    rows = [dict(row, offer_id=f"o-{i}") for i, row in enumerate(_rows(1_500, seed=6))]
    privacy.erase(store, "o-777")  # a tombstone, so each offer is looked up among them
    store.add_scores(rows)
    assert store.count_scores() == 1_499
    assert store.scores("o-777") == [] and len(store.scores("o-778")) == 1
    with store.engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        assert driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == 999  # it was in force
    store.engine.dispose()


NEAR_MISSES = {
    "standard library (escapes non-ASCII)": json.dumps,
    "compact standard library (1e-07)": lambda v: json.dumps(
        v, separators=(",", ":"), ensure_ascii=False
    ),
    "orjson, keys sorted": lambda v: orjson.dumps(
        v, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    ).decode(),
    "orjson without options (refuses NumPy numbers and int keys)": lambda v: orjson.dumps(
        v
    ).decode(),
}


@pytest.mark.parametrize("serializer", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_a_serializer_writing_other_text_than_the_columns_is_not_used(
    serializer: Callable[[Any], str],
) -> None:
    """The JSON columns' values skip SQLAlchemy's processor only for a serializer that writes
    what it writes on every sample: one that differs on any is ignored, and the rows are bound
    exactly as without it."""
    dialect = make_engine("sqlite://").dialect
    assert ScoreInsert(SCORE_TABLE, dialect, serializer).direct_json_columns == []
    rows = _rows(40, seed=9)
    bound = [
        _bound(_executed(ScoreInsert(SCORE_TABLE, dialect, given), rows))
        for given in (None, serializer)
    ]
    assert bound[0] == bound[1]
    assert any("—" in value for value in bound[0] if isinstance(value, str))  # it was tried


def test_the_stores_own_serializer_writes_the_json_columns_directly() -> None:
    """The speed-up is on for the store's engine: its serializer passes the samples and then
    writes every JSON list or dict itself (an upgrade that made them differ would switch it
    off silently; this fails instead)."""
    calls = 0

    def counted(value: Any) -> str:
        nonlocal calls
        calls += 1
        return json_text(value)

    insert_rows = ScoreInsert(SCORE_TABLE, make_engine("sqlite://").dialect, counted)
    assert insert_rows.direct_json_columns == ["inputs", "reasons", "what_ifs"]
    rows = _rows(50, seed=10)
    # Rows spooled before what_ifs existed take the processors for every column.
    containers = sum(
        isinstance(row[name], list | dict)
        for row in rows
        if "what_ifs" in row
        for name in ("inputs", "reasons", "what_ifs")
    )
    before = calls
    _executed(insert_rows, rows)
    assert before > 0 and calls - before == containers > 100
