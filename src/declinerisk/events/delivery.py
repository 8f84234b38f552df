"""Delivers outbox events as Standard Webhooks: signed POSTs, retried with backoff.

Each attempt is signed afresh (``webhook-id``, ``webhook-timestamp``, ``webhook-signature:
v1,<base64>``) with the ``standardwebhooks`` library, so a retry hours later still carries a
timestamp the receiver accepts. A 2xx marks the event delivered. Anything else counts an
attempt and schedules the next one after an exponential backoff with jitter (half fixed, half
random, capped); after the last attempt the event is dead until an operator re-sends it.
Receivers de-duplicate on ``webhook-id``: delivery is at least once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from declinerisk.events.outbox import DEAD, Outbox, OutboxEvent

log = logging.getLogger("declinerisk.delivery")


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 10
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 600.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    batch: int = 100

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Seconds before attempt ``attempts + 1``: half of the capped exponential is fixed,
        the other half random, so senders that failed together do not retry together."""
        growth = float(2 ** max(attempts - 1, 0))
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * growth)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    @property
    def lease(self) -> timedelta:
        """How long a claimed event is left alone (a crashed sender's events come due after)."""
        return timedelta(seconds=self.timeout_seconds * 2 + 5)


def signed_headers(webhook: Webhook, message_id: str, body: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(message_id, now, body),
        "content-type": "application/json",
    }


class EventSender:
    """A background thread that empties the outbox; ``run_once`` does one pass (tests, CLI)."""

    def __init__(
        self,
        outbox: Outbox,
        secret: str,
        policy: DeliveryPolicy,
        on_result: Callable[[str], None] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.outbox = outbox
        self.policy = policy
        self._webhook = Webhook(secret)
        self._on_result = on_result or (lambda _: None)
        self._client = client or httpx.Client(timeout=policy.timeout_seconds)
        self._rng = random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="event-sender", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.policy.timeout_seconds + 5)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_once()
            except Exception as exc:  # the store may be down: try again next poll
                log.warning("event delivery pass failed (%s)", type(exc).__name__)
                handled = 0
            if handled == 0:
                self._stop.wait(self.policy.poll_seconds)

    def run_once(self) -> int:
        """Claim due events and try each once; returns how many were claimed."""
        claimed = self.outbox.claim(self.policy.batch, self.policy.lease)
        down: dict[str, datetime] = {}  # URLs found unreachable in this pass
        for event in claimed:
            if self._stop.is_set():
                break  # the lease brings unsent ones back
            if event.url in down:
                self.outbox.defer([event.id], down[event.url])
                continue
            error = self._post(event)
            if error is None:
                self.outbox.delivered(event.id)
                self._on_result("delivered")
                continue
            retry_at = datetime.now(UTC) + timedelta(
                seconds=self.policy.backoff(event.attempts + 1, self._rng)
            )
            status = self.outbox.failed(event, error, retry_at, self.policy.max_attempts)
            self._on_result("dead" if status == DEAD else "retry")
            if error.startswith("unreachable"):
                down[event.url] = retry_at
        return len(claimed)

    def _post(self, event: OutboxEvent) -> str | None:
        """None when delivered, else a short reason (never the payload)."""
        headers = signed_headers(self._webhook, event.message_id, event.payload)
        try:
            answer = self._client.post(event.url, content=event.payload, headers=headers)
        except httpx.TransportError as exc:
            return f"unreachable: {type(exc).__name__}"
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}"
