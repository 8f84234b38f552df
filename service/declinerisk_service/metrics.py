"""Prometheus metrics, one registry per app (no process-wide state)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.responses import Response
from starlette.routing import Match, Mount, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
BANDS = ("high", "medium", "low")


def route_template(scope: Scope) -> str:
    """The path template of the route a request is for, a bounded label set.

    FastAPI's own routes put themselves in the scope; plain routes (``/docs``,
    ``/openapi.json``) and requests answered before routing (413 from the body limit) do
    not, so they are matched here against the app's routes and its documented paths. Paths
    no route has stay ``unmatched``: raw paths would let any caller grow the metric.
    """
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", UNMATCHED))
    app = scope.get("app")
    if app is None:
        return UNMATCHED
    for candidate in getattr(app, "routes", ()):
        if isinstance(candidate, Route | Mount) and candidate.matches(scope)[0] is Match.FULL:
            return candidate.path
    path = scope.get("path", "")
    for template, pattern in _documented_paths(app):
        if pattern.fullmatch(path):
            return template
    return UNMATCHED


def _documented_paths(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    """The app's OpenAPI path templates, compiled once per app."""
    compiled: list[tuple[str, re.Pattern[str]]] | None = getattr(app.state, "_route_patterns", None)
    if compiled is None:
        openapi = getattr(app, "openapi", None)
        paths = openapi()["paths"] if callable(openapi) else {}
        compiled = [(template, compile_path(template)[0]) for template in paths]
        app.state._route_patterns = compiled
    return compiled


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
        self.model_generation = Gauge(
            "declinerisk_model_generation",
            "The fleet reload this worker has applied (0: none since the store was made)",
            registry=self.registry,
        )
        self.reload_failures = Counter(
            "declinerisk_model_reload_failures_total",
            "Models another worker reloaded that this worker refused (it keeps its own)",
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

        # Label children bound once: ``labels()`` looks a child up under a lock on every call.
        self._request_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._band_counts = {band: self.scores.labels(band=band) for band in BANDS}

    def count_scores(self, per_band: Mapping[str, int]) -> None:
        """Count scored offers, one increment per band present (not one per offer)."""
        for band, count in per_band.items():
            child = self._band_counts.get(band) or self.scores.labels(band=band)
            child.inc(count)

    def serving(self, version: str, generation: int = 0) -> None:
        self.model.clear()
        self.model.labels(version=version).set(1)
        self.model_generation.set(generation)

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
                key = (route_template(scope), scope["method"], str(status))
                children = self._request_children.get(key)
                if children is None:  # the label set is bounded: routes x methods x statuses
                    children = (self.requests.labels(*key), self.latency.labels(*key))
                    self._request_children[key] = children
                children[0].inc()
                children[1].observe(time.perf_counter() - start)

        return measured
