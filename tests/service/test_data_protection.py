"""Candidate data protection through the service: erasure (routes, Greenhouse, CLI), access
export, the scheduled purge and the audit trail, with logs free of keys and candidate values."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from declinerisk.cli.main import main as cli
from declinerisk.connectors.greenhouse import signature
from declinerisk.events.outbox import OutboxEvent
from declinerisk.store.audit import AuditEvent
from declinerisk.store.database import Store
from declinerisk.store.records import OutcomeRecord, ScoreRecord
from declinerisk_service.app import create_app
from declinerisk_service.auth import key_digest
from tests.service.helpers import API_KEY, AUTH, fake_loader, offer, settings_for

CANDIDATE = "Quill-Marrow-9083"
SCORER_KEY = "scorer-only-key-42"
EVENTS = {
    "event_urls": ["http://127.0.0.1:9/hook"],
    "event_secret": "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=",
    "event_backoff_seconds": 3600,
}
GREENHOUSE = Path(__file__).parents[1] / "fixtures" / "greenhouse"


def app_for(tmp_path: Path, **overrides: Any) -> Any:
    keys = [key_digest(API_KEY), key_digest(SCORER_KEY) + ":score"]
    settings = settings_for(tmp_path, api_key_hashes=keys, **{**EVENTS, **overrides})
    return create_app(settings, loader=fake_loader())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app_for(tmp_path), raise_server_exceptions=False) as c:
        yield c


def runtime(client: TestClient) -> Any:
    return client.app.state.runtime  # type: ignore[attr-defined]


def everything_about(store: Store, spool: Path, offer_id: str) -> dict[str, int]:
    with store.session() as session:
        counts = {
            t.__tablename__: len(session.execute(select(t.id).where(t.offer_id == offer_id)).all())
            for t in (ScoreRecord, OutcomeRecord, OutboxEvent)
        }
    text = spool.read_text() if spool.exists() else ""
    counts["spool"] = sum(1 for line in text.splitlines() if offer_id in line)
    return counts


NOTHING = {"score_records": 0, "outcomes": 0, "outbox_events": 0, "spool": 0}


def score(client: TestClient, offer_id: str) -> None:
    answer = client.post("/v1/scores", headers=AUTH, json={"offers": [offer(offer_id)]})
    assert answer.status_code == 200


def test_an_erased_offer_leaves_no_row_spool_line_or_event_and_never_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.jsonl"
    with TestClient(app_for(tmp_path), raise_server_exceptions=False) as client:
        run = runtime(client)
        score(client, CANDIDATE)
        score(client, "kept-1")
        outcome = {"offer_id": CANDIDATE, "event_id": "e1", "outcome": "declined"}
        assert client.post("/v1/outcomes", headers=AUTH, json=outcome).status_code == 200
        run.recorder.flush()

        def refused(rows: Any) -> None:  # the database refuses the recorder's writes
            raise ConnectionError("database is down")

        monkeypatch.setattr(run.store, "add_scores", refused)
        score(client, CANDIDATE)
        run.recorder.flush()
        held = everything_about(run.store, spool, CANDIDATE)
        assert held == {"score_records": 1, "outcomes": 1, "outbox_events": 1, "spool": 1}
        assert [e.status for e in run.integrations.outbox.listed()] == ["pending"] * 2

        erased = client.post("/v1/admin/offers/erase", headers=AUTH, json={"offer_id": CANDIDATE})
        assert erased.status_code == 200
        assert erased.json() == {
            "erased": True,
            "scores": 1,
            "outcomes": 1,
            "events": 1,
            "spooled": 1,
        }
        assert everything_about(run.store, spool, CANDIDATE) == NOTHING
        score(client, CANDIDATE)  # scored while still down: spooled again, after the erasure
        run.recorder.flush()
        assert everything_about(run.store, spool, CANDIDATE)["spool"] == 1
        monkeypatch.undo()  # the database is back

    with TestClient(app_for(tmp_path), raise_server_exceptions=False) as client:
        run = runtime(client)
        run.recorder.flush()  # replays the spool
        assert not spool.exists()
        assert everything_about(run.store, spool, CANDIDATE) == NOTHING
        assert len(run.store.scores("kept-1")) == 1
        retried = client.post("/v1/admin/events/resend", headers=AUTH, json={})
        assert retried.status_code == 200
        assert {e.offer_id for e in run.integrations.outbox.listed()} == {"kept-1"}
        again = {"offer_id": CANDIDATE, "event_id": "e2", "outcome": "accepted"}
        answer = client.post("/v1/outcomes", headers=AUTH, json=again)
        assert answer.status_code == 200 and answer.json()["recorded"] is False
        found = client.post("/v1/admin/offers/export", headers=AUTH, json={"offer_id": CANDIDATE})
        assert found.status_code == 404


def test_the_export_holds_exactly_the_offers_rows_and_an_unknown_id_gets_404(
    client: TestClient,
) -> None:
    score(client, CANDIDATE)
    score(client, CANDIDATE)
    score(client, "someone-else")
    outcome = {"offer_id": CANDIDATE, "event_id": "e1", "outcome": "declined"}
    client.post("/v1/outcomes", headers=AUTH, json=outcome)
    runtime(client).recorder.flush()
    answer = client.post("/v1/admin/offers/export", headers=AUTH, json={"offer_id": CANDIDATE})
    assert answer.status_code == 200
    body = answer.json()
    assert body["offer_id"] == CANDIDATE
    assert len(body["scores"]) == 2 and len(body["outcomes"]) == 1
    assert [e["payload"]["data"]["offer_id"] for e in body["events"]] == [CANDIDATE] * 2
    assert body["spooled"] == []
    assert "someone-else" not in answer.text
    unknown = client.post("/v1/admin/offers/export", headers=AUTH, json={"offer_id": "nobody"})
    assert unknown.status_code == 404
    assert set(unknown.json()["error"]) == {"status", "code", "message", "details"}
    assert "nobody" not in unknown.text


def test_every_admin_action_is_audited_once_with_key_id_and_scope_and_logs_stay_clean(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    score(client, CANDIDATE)
    runtime(client).recorder.flush()
    body = {"offer_id": CANDIDATE}
    calls = [
        ("reload", client.post("/v1/admin/reload", headers=AUTH)),
        ("export", client.post("/v1/admin/offers/export", headers=AUTH, json=body)),
        ("event_list", client.get("/v1/admin/events", headers=AUTH)),
        ("event_resend", client.post("/v1/admin/events/resend", headers=AUTH, json={})),
        ("erase", client.post("/v1/admin/offers/erase", headers=AUTH, json=body)),
        ("purge", client.post("/v1/admin/retention/purge", headers=AUTH)),
    ]
    assert [answer.status_code for _, answer in calls] == [200, 200, 200, 200, 200, 409]
    denied = client.post("/v1/admin/offers/erase", headers={"X-API-Key": SCORER_KEY}, json=body)
    assert denied.status_code == 403
    trail = client.get("/v1/admin/audit", headers=AUTH)
    assert trail.status_code == 200
    rows = list(reversed(trail.json()["events"]))
    admin_id, scorer_id = key_digest(API_KEY)[:12], key_digest(SCORER_KEY)[:12]
    assert [(r["action"], r["key_id"], r["scope"]) for r in rows] == [
        *[(action, admin_id, "admin") for action, _ in calls],
        ("erase", scorer_id, "admin"),
    ]
    assert [r["outcome"] for r in rows] == [
        "reloaded",
        "found",
        "ok",
        "ok",
        "erased",
        "not_configured",
        "denied",
    ]
    with runtime(client).store.session() as session:  # the read itself is written after it
        last = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert last is not None and last.action == "audit_read"
    metrics = client.get("/metrics").text
    assert f'key_id="{scorer_id}",outcome="allowed",scope="score"' not in metrics
    assert f'key_id="{admin_id}",outcome="allowed",scope="score"' in metrics
    assert f'key_id="{scorer_id}",outcome="denied",scope="admin"' in metrics
    stored = json.dumps([r for r in trail.json()["events"]])
    logged = caplog.text
    assert caplog.records
    for secret in (API_KEY, SCORER_KEY, key_digest(API_KEY), CANDIDATE):
        assert secret not in logged and secret not in stored


def test_the_service_purges_on_its_schedule(tmp_path: Path) -> None:
    app = app_for(tmp_path, retention_days=30, retention_interval_seconds=0.2)
    with TestClient(app, raise_server_exceptions=False) as client:
        store = runtime(client).store
        old = datetime.now(UTC) - timedelta(days=31)
        store.add_scores(
            [
                {
                    "request_id": "r",
                    "offer_id": offer_id,
                    "model_version": "m",
                    "inputs": {},
                    "probability": 0.1,
                    "band": "low",
                    "reasons": [],
                    "action": "",
                    "scored_at": when,
                }
                for offer_id, when in (("old", old), ("new", datetime.now(UTC)))
            ]
        )
        deadline = time.time() + 20
        while store.scores("old") and time.time() < deadline:
            time.sleep(0.1)
        assert store.scores("old") == [] and len(store.scores("new")) == 1
        now = client.post("/v1/admin/retention/purge", headers=AUTH)
        assert now.status_code == 200 and now.json()["retention_days"] == 30
        with store.session() as session:
            scopes = set(
                session.execute(select(AuditEvent.scope).where(AuditEvent.action == "purge"))
                .scalars()
                .all()
            )
        assert scopes == {"schedule", "admin"}


def test_greenhouse_offer_deleted_erases_the_offer(tmp_path: Path) -> None:
    mapping = Path(__file__).parents[2] / "training" / "greenhouse.example.toml"
    app = app_for(tmp_path, greenhouse_secret="gh", greenhouse_mapping=mapping)
    with TestClient(app, raise_server_exceptions=False) as client:
        store = runtime(client).store
        for name, event in (("offer_created_open.json", "g1"), ("offer_deleted.json", "g2")):
            body = (GREENHOUSE / name).read_bytes()
            if name == "offer_deleted.json":  # the same application as the scored offer
                payload = json.loads(body)
                payload["payload"]["offer"]["application_id"] = 234556
                body = json.dumps(payload).encode()
            headers = {"Signature": signature("gh", body), "Greenhouse-Event-ID": event}
            answer = client.post("/v1/connectors/greenhouse", content=body, headers=headers)
            assert answer.status_code == 200
        assert answer.json()["result"] == "erased"
        assert everything_about(store, tmp_path / "spool.jsonl", "greenhouse-234556") == NOTHING
        again = (GREENHOUSE / "offer_created_open.json").read_bytes()
        headers = {"Signature": signature("gh", again), "Greenhouse-Event-ID": "g3"}
        client.post("/v1/connectors/greenhouse", content=again, headers=headers)
        assert store.scores("greenhouse-234556") == []


def test_the_cli_exports_erases_and_purges(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score(client, CANDIDATE)
    runtime(client).recorder.flush()
    url, spool = f"sqlite:///{tmp_path}/store.db", str(tmp_path / "spool.jsonl")
    where = ["--database-url", url, "--spool", spool]
    assert cli(["privacy", "export", CANDIDATE, *where]) == 0
    assert json.loads(capsys.readouterr().out)["scores"][0]["inputs"]["offer_id"] == CANDIDATE
    assert cli(["privacy", "erase", CANDIDATE, *where]) == 0
    assert "scores=1" in capsys.readouterr().out
    assert cli(["privacy", "export", CANDIDATE, *where]) == 2
    err = capsys.readouterr().err
    assert err == "error: nothing is held about this offer id\n"
    assert cli(["privacy", "purge", "--days", "30", "--database-url", url]) == 0
    assert "older than 30 days" in capsys.readouterr().out
    assert cli(["privacy", "audit", "--database-url", url]) == 0
    actions = [line.split("\t")[3] for line in capsys.readouterr().out.splitlines()]
    assert actions == ["purge", "export", "erase", "export"]
