"""A real HTTP receiver on 127.0.0.1 that verifies Standard Webhooks signatures with the
``standardwebhooks`` library and processes each ``webhook-id`` once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Receiver:
    secret: str = SECRET
    lose_acks: int = 0  # process, then answer 500 this many times (the sender must retry)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)  # webhook-id -> times received
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.refused += 1
            return 401
        webhook_id = headers["webhook-id"]
        with self._lock:
            self.deliveries[webhook_id] += 1
            if webhook_id not in self.processed:  # de-duplicate retries
                self.processed[webhook_id] = event
            if self.lose_acks > 0:
                self.lose_acks -= 1
                return 500
        return 204

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.processed.values() if e["type"] == kind]


@contextmanager
def listening(receiver: Receiver, port: int = 0) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.receive(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dumps(event: dict[str, Any]) -> str:
    return json.dumps(event)
