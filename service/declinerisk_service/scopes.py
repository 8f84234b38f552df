"""API key scopes: which routes a key may call.

An accepted key is given as its SHA-256 digest, optionally followed by ``:`` and its scopes
joined by ``+`` (``<digest>:score+outcomes``). A digest without scopes gets every scope, so
lists written before scopes existed keep working. Several digests may be accepted at once,
which is how keys are rotated: add the new one, move clients over, drop the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCOPES = ("score", "outcomes", "model", "admin", "board")
"""``score``: POST /v1/scores. ``outcomes``: POST /v1/outcomes. ``model``: the model card and
drift monitoring. ``admin``: reload and the outbound event queue. ``board``: sign in to the
recruiter board (``/board``)."""

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KeyGrant:
    digest: str
    scopes: frozenset[str]


def parse_grant(entry: str) -> KeyGrant:
    """``<digest>`` or ``<digest>:<scope>+<scope>``; raises ValueError without the digest."""
    digest, sep, scope_text = entry.strip().lower().partition(":")
    if not SHA256_HEX.match(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest[:8]}...")
    if not sep:
        return KeyGrant(digest, frozenset(SCOPES))
    scopes = frozenset(s for s in scope_text.split("+") if s)
    unknown = sorted(scopes - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(
            f"key {digest[:8]}...: unknown or no scopes {unknown}; known: {', '.join(SCOPES)}"
        )
    return KeyGrant(digest, scopes)


def parse_grants(entries: list[str]) -> list[KeyGrant]:
    return [parse_grant(entry) for entry in entries]
