"""API keys: ``X-API-Key`` or ``Authorization: Bearer``, checked against SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="declinerisk"'}


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def matches(digest: str, accepted: list[str]) -> bool:
    """Constant time in the digest: every accepted digest is compared, none short-circuits."""
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(digest, candidate)
    return found


async def require_api_key(request: Request) -> None:
    key = presented_key(request)
    if key is None:
        raise HTTPException(
            401,
            "missing API key (X-API-Key or Authorization: Bearer)",
            headers=UNAUTHORIZED_HEADERS,
        )
    if not matches(key_digest(key), request.app.state.settings.api_key_hashes):
        raise HTTPException(401, "invalid API key", headers=UNAUTHORIZED_HEADERS)


Authenticated = Annotated[None, Depends(require_api_key)]
