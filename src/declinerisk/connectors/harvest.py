"""A small Harvest v3 client: OAuth client credentials, cursor pages, rate limits.

Shapes as Greenhouse's public Harvest v3 docs describe them (assumptions marked):

- token: ``POST https://auth.greenhouse.io/token`` with HTTP Basic ``client_id:client_secret``
  and the form ``grant_type=client_credentials`` (+ ``sub=<user_id>`` when set); the answer
  is assumed to be OAuth 2.0's ``{"access_token", "token_type", "expires_in"}`` (an
  ``expires_at`` ISO time is accepted too). Access tokens live an hour.
- lists: ``GET /v3/<resource>?ids=...&per_page=...``, a JSON array; the next page is the
  ``Link: <url>; rel="next"`` header's URL, requested exactly as given (its cursor must be
  the only parameter); no such link, last page.
- applications: objects with ``id``, ``applied_at``, ``last_activity_at``, the current
  stage (assumed ``current_stage: {"id", "name"}`` or ``current_stage_id``) and
  ``custom_fields`` (a key -> value map, or keyed ``{"name", "type", "value"}`` objects).
- 429 with ``Retry-After`` (seconds or an HTTP date) when over the rate limit: wait, retry.
- 401 on an expired or revoked token: fetch a new token once and retry.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from declinerisk.connectors.base import UpstreamError
from declinerisk.connectors.greenhouse import ApplicationFacts

NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class HarvestCredentials:
    client_id: str
    client_secret: str
    user_id: str | None = None
    base_url: str = "https://harvest.greenhouse.io"
    token_url: str = "https://auth.greenhouse.io/token"


@dataclass
class _Token:
    value: str
    expires: datetime


class HarvestClient:
    """Fetches applications from Harvest v3; safe to share between threads for reads."""

    def __init__(
        self,
        credentials: HarvestCredentials,
        client: httpx.Client | None = None,
        max_retries: int = 3,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self._client = client or httpx.Client(timeout=10.0)
        self._max_retries = max_retries
        self._max_wait = max_wait_seconds
        self._sleep = sleep
        self._token: _Token | None = None

    def close(self) -> None:
        self._client.close()

    def application(self, application_id: str) -> ApplicationFacts:
        """The application's dates, stage and custom fields."""
        for page in self.pages("/v3/applications", {"ids": application_id}):
            for item in page:
                if str(item.get("id")) == application_id:
                    return _facts(item)
        raise UpstreamError("Harvest v3 has no such application")

    def pages(self, path: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, following ``Link: rel="next"`` exactly."""
        url: str | None = self.credentials.base_url.rstrip("/") + path
        query: dict[str, str] | None = params
        while url is not None:
            answer = self._get(url, query)
            items = answer.json()
            if not isinstance(items, list):
                raise UpstreamError("Harvest v3 list answer is not a JSON array")
            yield [item for item in items if isinstance(item, dict)]
            found = NEXT_LINK.search(answer.headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)

    def _get(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        refreshed = False
        throttled = 0
        while True:
            try:
                answer = self._client.get(
                    url, params=params, headers={"Authorization": f"Bearer {self._access()}"}
                )
            except httpx.TransportError as exc:
                raise UpstreamError(f"Harvest v3 unreachable ({type(exc).__name__})") from exc
            if answer.status_code == 401 and not refreshed:
                self._token = None  # expired or revoked: one new token, one more try
                refreshed = True
                continue
            if answer.status_code == 429 and throttled < self._max_retries:
                throttled += 1
                self._sleep(_retry_after(answer.headers.get("retry-after"), self._max_wait))
                continue
            if answer.status_code != 200:
                raise UpstreamError(f"Harvest v3 answered HTTP {answer.status_code}")
            return answer

    def _access(self) -> str:
        token = self._token
        if token is None or datetime.now(UTC) >= token.expires:
            token = self._token = self._fetch_token()
        return token.value

    def _fetch_token(self) -> _Token:
        form = {"grant_type": "client_credentials"}
        if self.credentials.user_id:
            form["sub"] = self.credentials.user_id
        try:
            answer = self._client.post(
                self.credentials.token_url,
                data=form,
                auth=(self.credentials.client_id, self.credentials.client_secret),
            )
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"Harvest token endpoint unreachable ({type(exc).__name__})"
            ) from exc
        if answer.status_code != 200:
            raise UpstreamError(f"Harvest token endpoint answered HTTP {answer.status_code}")
        body = answer.json()
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise UpstreamError("Harvest token answer has no access_token")
        return _Token(value, _expiry(body))


def _expiry(body: dict[str, Any]) -> datetime:
    """When to fetch a new token: 30 s before it expires (an hour when unsaid)."""
    now = datetime.now(UTC)
    expires = now + timedelta(hours=1)
    if isinstance(body.get("expires_in"), int | float):
        expires = now + timedelta(seconds=float(body["expires_in"]))
    elif isinstance(body.get("expires_at"), str):
        with contextlib.suppress(ValueError):
            expires = datetime.fromisoformat(body["expires_at"])
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - timedelta(seconds=30)


def _retry_after(header: str | None, cap: float) -> float:
    """Seconds to wait: ``Retry-After`` as seconds or an HTTP date, 1 s when absent, capped."""
    if not header:
        return 1.0
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), cap)


def _facts(item: dict[str, Any]) -> ApplicationFacts:
    stage = item.get("current_stage")
    stage_name = stage.get("name") if isinstance(stage, dict) else item.get("current_stage_id")
    custom = item.get("custom_fields") if isinstance(item.get("custom_fields"), dict) else {}
    try:
        return ApplicationFacts(
            applied_at=item.get("applied_at"),
            last_activity_at=item.get("last_activity_at"),
            stage=None if stage_name is None else str(stage_name),
            custom_fields=custom or {},
        )
    except ValueError as exc:
        raise UpstreamError("Harvest v3 application has unreadable dates") from exc
