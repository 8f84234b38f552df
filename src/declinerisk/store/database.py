"""The prediction and outcome store (SQLAlchemy 2): every score given and every outcome learned.

The default is a SQLite file in WAL mode beside the project; ``postgresql+psycopg://...`` works
the same. The schema is managed by Alembic (``declinerisk/store/migrations``); :func:`open_store`
upgrades it to the latest revision. Outcomes joined with the inputs that were scored are the
label source for the next training run (:meth:`Store.training_frame`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import (
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from declinerisk.data import schema
from declinerisk.errors import DeclineRiskError
from declinerisk.store import locks
from declinerisk.store.locks import hold_for_transaction
from declinerisk.store.records import (
    Outcome,
    OutcomeRecord,
    ScoreRecord,
    erased_ids,
)
from declinerisk.store.score_insert import ScoreInsert, insert_by_columns

DEFAULT_URL = "sqlite:///declinerisk.db"


class StoreError(DeclineRiskError):
    """The store cannot be reached or written."""


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Up to 16 MiB of page cache per connection (the default is 2 MiB), filled only as pages
    # are read: the score table's indexes outgrow the default within a day of traffic, and
    # each insert then reads its pages back from the OS.
    cursor.execute("PRAGMA cache_size=-16384")
    # Checkpoint the WAL into the database every ~40 MB instead of ~4 MB: the score table's
    # hot index pages are rewritten by every batch, and a checkpoint copies each page once
    # however often it changed since the last one (~1 us less per stored score).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def json_text(value: Any) -> str:
    """JSON columns written with orjson: encoding the inputs and reasons was most of the cost
    of a score record with the standard library's encoder."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, json_serializer=json_text
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_serializer=json_text
    )


def migrate(engine: Engine) -> None:
    """Upgrade the schema to Alembic's latest revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("declinerisk.store") / "migrations")
    )
    with engine.begin() as connection:
        # Workers or instances starting together each migrate: one at a time, the others
        # then find the schema at head.
        hold_for_transaction(connection, locks.MIGRATE)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


ScoreHook = Callable[[Session, Sequence[dict[str, Any]]], None]
"""Runs inside the transaction that writes score records (e.g. the outbox's events)."""

SCORE_TABLE = ScoreRecord.metadata.tables[ScoreRecord.__tablename__]


class Store:
    """Reads and writes score and outcome records."""

    def __init__(self, engine: Engine, on_scores: ScoreHook | None = None) -> None:
        self.engine = engine
        self.on_scores = on_scores
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite_insert = (
            ScoreInsert(SCORE_TABLE, engine.dialect, json_text)
            if engine.dialect.name == "sqlite"
            else None
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any driver error means "not reachable"
            return False
        return True

    def add_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert score records in one transaction (dicts with ScoreRecord's columns; other
        keys are for the ``on_scores`` hook, which runs in the same transaction)."""
        if rows:
            with self.session() as session:
                self.write_scores(session, rows)

    def write_scores(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """:meth:`add_scores` inside a transaction the caller holds; erased offers are
        skipped."""
        erased = erased_ids(session, (str(row["offer_id"]) for row in rows))
        rows = [row for row in rows if str(row["offer_id"]) not in erased]
        if not rows:
            return
        if self.on_scores is not None:
            self.on_scores(session, rows)
        connection = session.connection()
        if self._sqlite_insert is not None:
            self._sqlite_insert.execute(connection, rows)  # reads its columns, nothing else
        else:
            insert_by_columns(connection, SCORE_TABLE, rows)

    def add_outcome(self, outcome: Outcome) -> bool:
        """Record an outcome; False when (offer_id, event_id) was recorded before, or the
        offer was erased."""
        try:
            with self.session() as session:
                written = self.write_outcome(session, outcome)
        except IntegrityError:
            return False
        return written

    def write_outcome(self, session: Session, outcome: Outcome) -> bool:
        """:meth:`add_outcome` inside a transaction the caller holds (a repeat raises
        IntegrityError at commit); False, writing nothing, for an erased offer."""
        if erased_ids(session, [outcome.offer_id]):
            return False
        session.add(
            OutcomeRecord(
                offer_id=outcome.offer_id,
                event_id=outcome.event_id,
                outcome=outcome.outcome,
                decline_reason=outcome.decline_reason,
                decided_at=outcome.decided_at,
                received_at=datetime.now(UTC),
                source=outcome.source,
            )
        )
        return True

    def count_scores(self, request_ids: Iterable[str] | None = None) -> int:
        with self.session() as session:
            query = select(func.count(ScoreRecord.id))
            if request_ids is not None:
                query = query.where(ScoreRecord.request_id.in_(list(request_ids)))
            return int(session.execute(query).scalar_one())

    def scores(self, offer_id: str) -> list[ScoreRecord]:
        with self.session() as session:
            found = session.execute(
                select(ScoreRecord).where(ScoreRecord.offer_id == offer_id).order_by(ScoreRecord.id)
            )
            return list(found.scalars())

    def outcomes(self) -> list[OutcomeRecord]:
        with self.session() as session:
            return list(session.execute(select(OutcomeRecord).order_by(OutcomeRecord.id)).scalars())

    def recent_scores(self, since: datetime) -> pd.DataFrame:
        """Inputs and probabilities of the offers scored since ``since`` (drift monitoring)."""
        with self.session() as session:
            found = session.execute(
                select(ScoreRecord.inputs, ScoreRecord.probability).where(
                    ScoreRecord.scored_at >= since
                )
            ).all()
        frame = pd.DataFrame([inputs for inputs, _ in found])
        frame["decline_probability"] = [probability for _, probability in found]
        return frame

    def training_frame(self) -> pd.DataFrame:
        """Past offers for training, point in time: each offer's inputs as they were scored
        last *before* its decision, with its latest outcome.

        A score given after the decision (a re-score, a backfill) may carry the outcome in its
        inputs and shows an end-of-process snapshot that serving never sees, so it is left
        out; an offer with no score before its decision is left out too. The decision time is
        the outcome's ``decided_at``, or when it was received when that is unknown.
        ``offer_date`` is the date sent with the scores (``POST /v1/scores``), else the day
        the offer was first scored. Columns follow the contract, so the frame goes through the
        same validation as a file.
        """
        latest_outcome: dict[str, OutcomeRecord] = {}
        for record in self.outcomes():
            latest_outcome[record.offer_id] = record
        decided = {
            offer_id: _utc(record.decided_at or record.received_at)
            for offer_id, record in latest_outcome.items()
        }
        first_day: dict[str, str] = {}
        sent_date: dict[str, str] = {}
        rows: dict[str, dict[str, Any]] = {}
        with self.session() as session:
            found = session.execute(
                select(ScoreRecord)
                .where(ScoreRecord.offer_id.in_(list(latest_outcome)))
                .order_by(ScoreRecord.scored_at, ScoreRecord.id)
            )
            for score in found.scalars():
                first_day.setdefault(score.offer_id, score.scored_at.date().isoformat())
                if score.inputs.get(schema.DATE_COLUMN):
                    sent_date.setdefault(score.offer_id, score.inputs[schema.DATE_COLUMN])
                if _utc(score.scored_at) < decided[score.offer_id]:
                    rows[score.offer_id] = {**score.inputs, schema.ID_COLUMN: score.offer_id}
        for offer_id, row in rows.items():
            row[schema.DATE_COLUMN] = (
                row.get(schema.DATE_COLUMN) or sent_date.get(offer_id) or first_day[offer_id]
            )
            row[schema.LABEL_COLUMN] = latest_outcome[offer_id].outcome
            row["decline_reason"] = latest_outcome[offer_id].decline_reason
        frame = pd.DataFrame(list(rows.values()))
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
        return frame

    def fingerprint(self, frame: pd.DataFrame) -> str:
        """SHA-256 of the training frame, the manifest's record of which data was used."""
        payload = frame.to_json(orient="records", date_format="iso").encode()
        return hashlib.sha256(payload).hexdigest()


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def open_store(url: str = DEFAULT_URL, on_scores: ScoreHook | None = None) -> Store:
    """A migrated store at ``url``; ``on_scores`` runs in each score-writing transaction."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except Exception as exc:
        raise StoreError(f"cannot open the store at {_safe(url)}: {exc}") from exc
    return Store(engine, on_scores)


@contextmanager
def opened_store(url: str = DEFAULT_URL) -> Iterator[Store]:
    """:func:`open_store` for one command's work: its connections are closed afterwards."""
    store = open_store(url)
    try:
        yield store
    finally:
        store.engine.dispose()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
