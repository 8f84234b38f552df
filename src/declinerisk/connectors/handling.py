"""What a connector's commands do, for every ATS: score through the one kernel and store the
score (with its outbound events), or record the outcome, each in one transaction with the
delivery id, so a redelivery is acknowledged and not processed twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from declinerisk.connectors import inbox
from declinerisk.connectors.base import Connector, EraseOffer, Ignore, RecordOutcome, ScoreOffer
from declinerisk.scoring.predictor import Predictor, ScoredOffer
from declinerisk.store.database import Store
from declinerisk.store.privacy import erase_in
from declinerisk.store.recorder import score_rows
from declinerisk.store.request_ids import new_request_id

SCORED, OUTCOME, IGNORED, DUPLICATE = "scored", "outcome_recorded", "ignored", "duplicate"
ERASED = "erased"


@dataclass(frozen=True)
class Handled:
    result: str
    offer_id: str | None = None
    reason: str | None = None
    scored: ScoredOffer | None = None
    warnings: list[str] = field(default_factory=list)


def handle(
    connector: Connector,
    store: Store,
    predictor: Predictor,
    delivery_id: str,
    body: bytes,
    forget_spooled: Callable[[str], int] | None = None,
) -> Handled:
    """Act on a verified delivery once. Store errors propagate (the ATS should retry).
    ``forget_spooled`` drops an erased offer's spooled score records."""
    if inbox.seen(store, connector.name, delivery_id):
        return Handled(DUPLICATE)
    command = connector.parse(body)
    try:
        if isinstance(command, Ignore):
            with store.session() as session:
                inbox.mark(session, connector.name, delivery_id, IGNORED)
            return Handled(IGNORED, reason=command.reason)
        if isinstance(command, EraseOffer):
            with store.session() as session:
                erase_in(session, command.offer_id)
                inbox.mark(session, connector.name, delivery_id, ERASED)
            if forget_spooled is not None:
                forget_spooled(command.offer_id)
            return Handled(ERASED, offer_id=command.offer_id)
        if isinstance(command, RecordOutcome):
            with store.session() as session:
                store.write_outcome(session, command.outcome)
                inbox.mark(session, connector.name, delivery_id, OUTCOME)
            return Handled(OUTCOME, offer_id=command.outcome.offer_id)
        return _score(connector, store, predictor, delivery_id, command)
    except IntegrityError:
        # Processed already: this delivery id raced another, or the same outcome came
        # under a new delivery id. Remember the id so the next redelivery stops early.
        _remember(store, connector.name, delivery_id)
        return Handled(DUPLICATE)


def _score(
    connector: Connector, store: Store, predictor: Predictor, delivery_id: str, command: ScoreOffer
) -> Handled:
    scored = predictor.score_records([command.record])[0]
    warnings = [*command.warnings, *scored.warnings]
    scored = replace(scored, warnings=warnings)
    rows = score_rows(
        f"{connector.name}-{new_request_id()}", [command.record], [scored], datetime.now(UTC)
    )
    with store.session() as session:
        store.write_scores(session, rows)
        inbox.mark(session, connector.name, delivery_id, SCORED)
    return Handled(SCORED, offer_id=scored.offer_id, scored=scored, warnings=warnings)


def _remember(store: Store, connector: str, delivery_id: str) -> None:
    try:
        with store.session() as session:
            inbox.mark(session, connector, delivery_id, DUPLICATE)
    except IntegrityError:
        pass
