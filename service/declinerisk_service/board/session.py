"""The board's session: a signed, HTTP-only, SameSite=Strict cookie, and CSRF tokens bound to it.

Standard library only (``hmac``). The cookie holds a random session id, an expiry and, once
signed in, a fingerprint of the API key (an HMAC of its digest under the session secret, never
the key or its digest), so removing the key or its ``board`` scope ends every session at once.
Every visitor gets a session id before signing in, so the sign-in form carries a CSRF token too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from declinerisk_service.scopes import KeyGrant

COOKIE = "declinerisk_board"
LIFETIME_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    sid: str
    expires: int
    key: str | None = None  # fingerprint of the signed-in key; None before sign-in


class Signer:
    """Signs and checks cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, data: bytes) -> str:
        return hmac.new(self._secret, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def new(self, key: str | None = None, now: float | None = None) -> Session:
        now = time.time() if now is None else now
        return Session(secrets.token_urlsafe(18), int(now) + LIFETIME_SECONDS, key)

    def dump(self, session: Session) -> str:
        payload = json.dumps({"s": session.sid, "e": session.expires, "k": session.key})
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._mac('cookie', body.encode())}"

    def load(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie whose signature and expiry hold; None otherwise."""
        if not cookie or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac("cookie", body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            found = Session(str(data["s"]), int(data["e"]), data["k"])
        except (ValueError, KeyError, TypeError):
            return None
        if found.expires < (time.time() if now is None else now):
            return None
        return found

    def csrf(self, session: Session) -> str:
        return self._mac("csrf", session.sid.encode())

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(session))

    def key_fingerprint(self, grant: KeyGrant) -> str:
        return self._mac("key", grant.digest.encode())

    def signed_in(self, session: Session | None, grants: list[KeyGrant]) -> bool:
        """The session holds a key that is still accepted with the ``board`` scope."""
        if session is None or session.key is None:
            return False
        found = False
        for grant in grants:  # every grant compared: no early exit
            if "board" in grant.scopes and hmac.compare_digest(
                session.key, self.key_fingerprint(grant)
            ):
                found = True
        return found
