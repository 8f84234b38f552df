"""API keys: ``X-API-Key`` or ``Authorization: Bearer``, checked against SHA-256 digests, each
with its scopes (:mod:`declinerisk_service.scopes`). A wrong or missing key gets 401; a valid
key outside the route's scope gets 403. Both schemes are declared in OpenAPI, so ``/docs``
can authorise.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from declinerisk_service.scopes import KeyGrant

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="declinerisk"'}

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (its SHA-256 is configured)"
)
BEARER = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def grant_of(digest: str, grants: list[KeyGrant]) -> KeyGrant | None:
    """The grant whose digest equals ``digest``; every grant is compared (constant time)."""
    found: KeyGrant | None = None
    for grant in grants:
        if hmac.compare_digest(digest, grant.digest):
            found = grant
    return found


def grant_for(request: Request) -> KeyGrant:
    """The presented key's grant; 401 when it is missing or unknown."""
    key = presented_key(request)
    if key is None:
        raise HTTPException(
            401,
            "missing API key (X-API-Key or Authorization: Bearer)",
            headers=UNAUTHORIZED_HEADERS,
        )
    grant = grant_of(key_digest(key), request.app.state.key_grants)
    if grant is None:
        raise HTTPException(401, "invalid API key", headers=UNAUTHORIZED_HEADERS)
    return grant


def require(scope: str) -> Callable[..., Awaitable[None]]:
    """A dependency that lets through keys holding ``scope``; 401 or 403 otherwise."""

    async def check(
        request: Request,
        _key: Annotated[str | None, Security(API_KEY_HEADER)],
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    ) -> None:
        authorize(request, scope)

    return check


def authorize(request: Request, scope: str) -> None:
    """Let through a key holding ``scope``; 401 for a missing or unknown key, 403 otherwise."""
    grant = grant_for(request)
    allowed = scope in grant.scopes
    uses = getattr(request.app.state, "key_uses", None)  # service.audit.KeyUses
    if uses is not None:
        uses.count(grant.digest[:12], scope, "allowed" if allowed else "denied")
    if not allowed:
        raise HTTPException(403, f"this API key does not have the '{scope}' scope")


ScoreScope = Annotated[None, Depends(require("score"))]
OutcomesScope = Annotated[None, Depends(require("outcomes"))]
ModelScope = Annotated[None, Depends(require("model"))]
AdminScope = Annotated[None, Depends(require("admin"))]
