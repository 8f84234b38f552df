"""Who called an admin route: the key's id and scope, for the audit trail.

``AdminActor`` checks the ``admin`` scope like :func:`declinerisk_service.auth.require` and
hands the handler an :class:`Actor`; a valid key without the scope is refused (403) and the
refusal is written to the trail. Each admin handler writes one row with :func:`audited`. Use
of every other scope is counted per key id in ``declinerisk_key_uses_total`` (a store write
per score request would cost the scoring path). Neither the key nor any request value is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CollectorRegistry, Counter
from starlette.concurrency import run_in_threadpool

from declinerisk.store import audit
from declinerisk.store.database import Store
from declinerisk_service.auth import API_KEY_HEADER, BEARER, grant_for

log = logging.getLogger("declinerisk.service")

ADMIN = "admin"
ACTIONS = {
    "/v1/admin/reload": "reload",
    "/v1/admin/events": "event_list",
    "/v1/admin/events/resend": "event_resend",
    "/v1/admin/offers/erase": "erase",
    "/v1/admin/offers/export": "export",
    "/v1/admin/retention/purge": "purge",
    "/v1/admin/audit": "audit_read",
}
"""The audit action of each admin route (a refusal is written under the same name)."""


class KeyUses:
    """Requests per key id, scope and outcome (allowed, denied)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.counter = Counter(
            "declinerisk_key_uses_total",
            "Requests by API key id (start of its digest), scope and outcome",
            ["key_id", "scope", "outcome"],
            registry=registry,
        )

    def count(self, key_id: str, scope: str, outcome: str) -> None:
        self.counter.labels(key_id=key_id, scope=scope, outcome=outcome).inc()


@dataclass(frozen=True)
class Actor:
    key_id: str
    scope: str


def _runtime_store(request: Request) -> Store:
    store: Store = request.app.state.runtime.store
    return store


async def audited(
    store: Store, actor: Actor, action: str, outcome: str, detail: str | None = None
) -> None:
    """Write one audit row; a store that refuses it is logged (kind only), never raised, so an
    outage does not stop a reload."""
    entry = audit.Entry(action, outcome, actor.scope, actor.key_id, detail)
    try:
        await run_in_threadpool(audit.record, store, entry)
    except Exception as exc:  # the store is down: the action's own answer says what happened
        log.warning("audit row not written (%s) for action %s", type(exc).__name__, action)


def count_use(request: Request, key_id: str, scope: str, outcome: str) -> None:
    """Count a key's use when the app has the counter (``app.state.key_uses``)."""
    uses: KeyUses | None = getattr(request.app.state, "key_uses", None)
    if uses is not None:
        uses.count(key_id, scope, outcome)


async def admin_actor(
    request: Request,
    _key: Annotated[str | None, Security(API_KEY_HEADER)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> Actor:
    grant = grant_for(request)  # 401 for a missing or unknown key
    actor = Actor(audit.key_id(grant.digest), ADMIN)
    if ADMIN not in grant.scopes:
        count_use(request, actor.key_id, ADMIN, "denied")
        action = ACTIONS.get(getattr(request.scope.get("route"), "path", ""), "admin")
        await audited(_runtime_store(request), actor, action, "denied")
        raise HTTPException(403, f"this API key does not have the '{ADMIN}' scope")
    count_use(request, actor.key_id, ADMIN, "allowed")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
