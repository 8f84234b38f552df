"""Prometheus metrics, one registry per app (no process-wide state)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "declinerisk_requests_total",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "declinerisk_request_seconds",
            "HTTP request latency",
            ["route", "method", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.scores = Counter(
            "declinerisk_scores_total",
            "Offers scored, by risk band",
            ["band"],
            registry=self.registry,
        )
        self.model = Gauge(
            "declinerisk_model_info",
            "The model being served (value 1)",
            ["version"],
            registry=self.registry,
        )
        self.webhook_rejections = Counter(
            "declinerisk_webhook_rejections_total",
            "Refused webhook calls, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.store_failures = Counter(
            "declinerisk_store_write_failures_total",
            "Score records that could not be written",
            registry=self.registry,
        )

    def serving(self, version: str) -> None:
        self.model.clear()
        self.model.labels(version=version).set(1)

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4")

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Pure ASGI middleware counting requests and latency by route template and status."""

        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start = time.perf_counter()
            status = 500

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, capture)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                labels = {"route": route, "method": scope["method"], "status": str(status)}
                self.requests.labels(**labels).inc()
                self.latency.labels(**labels).observe(time.perf_counter() - start)

        return measured
