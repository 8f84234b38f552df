"""A local Harvest v3 stand-in on 127.0.0.1, answering in the shapes the public docs show
(see declinerisk.connectors.harvest for the assumed shapes): a client-credentials token
endpoint, ``GET /v3/applications`` as a JSON array with ``Link: <...>; rel="next"`` cursor
pages, 429 with ``Retry-After``, and 401 for an expired token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class HarvestStub:
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    throttle: int = 0  # answer this many list calls with 429 first
    retry_after: str = "1"
    expire_first_token: bool = False
    revoked: bool = False  # every token is refused (credentials revoked)
    token_requests: int = 0
    calls: list[tuple[float, str, int]] = field(default_factory=list)  # (time, path, status)
    url: str = ""
    _expired: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> dict[str, Any]:
        with self._lock:
            self.token_requests += 1
            value = f"tok-{self.token_requests}"
            if self.revoked or (self.expire_first_token and self.token_requests == 1):
                self._expired.add(value)
        return {"access_token": value, "token_type": "Bearer", "expires_in": 3600}

    def listing(self, query: dict[str, list[str]], token: str) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            if token in self._expired or not token.startswith("tok-"):
                return 401, {"error": "invalid_token"}, {}
            if self.throttle > 0:
                self.throttle -= 1
                return 429, {"error": "rate limited"}, {"Retry-After": self.retry_after}
        if "cursor" in query:  # a cursor must be the only parameter
            if len(query) != 1:
                return 422, {"error": "cursor must be alone"}, {}
            wanted = query["cursor"][0]
            return 200, [self.applications[wanted]] if wanted in self.applications else [], {}
        ids = query.get("ids", [""])[0].split(",")
        # First page: another application and a next link to the one asked for.
        link = f'<{self.url}/v3/applications?cursor={ids[0]}>; rel="next"'
        return 200, [{"id": 1, "applied_at": "2020-01-01T00:00:00Z"}], {"Link": link}


@contextmanager
def running(stub: HarvestStub) -> Iterator[HarvestStub]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
            # Recorded before answering: once the client has its answer the test may read
            # the calls at once, and an append after the write raced with it.
            stub.calls.append((time.monotonic(), self.path, status))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            basic = self.headers.get("Authorization", "").startswith("Basic ")
            if self.path != "/token" or form.get("grant_type") != ["client_credentials"]:
                self._answer(400, {"error": "unsupported_grant_type"}, {})
            elif not basic:
                self._answer(401, {"error": "invalid_client"}, {})
            else:
                self._answer(200, stub.token(), {})

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if parsed.path != "/v3/applications":
                self._answer(404, {"error": "not found"}, {})
                return
            self._answer(*stub.listing(parse_qs(parsed.query), token))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
