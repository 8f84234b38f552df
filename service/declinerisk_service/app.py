"""The app factory: ``create_app(settings)`` builds a FastAPI app; nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from declinerisk import __version__
from declinerisk.artifacts.registry import load_reference
from declinerisk.events.outbox import Outbox
from declinerisk.explain.actions import load_playbook
from declinerisk.scoring.predictor import Predictor
from declinerisk.scoring.scorer import Scorer
from declinerisk.store.database import open_store
from declinerisk.store.recorder import ScoreRecorder
from declinerisk_service import (
    board,
    docs,
    errors,
    fleet,
    heap,
    integrations,
    retention,
)
from declinerisk_service.audit import KeyUses
from declinerisk_service.limits import BodySizeLimit
from declinerisk_service.metrics import ServiceMetrics
from declinerisk_service.routes import (
    admin,
    connectors,
    events,
    health,
    model,
    monitoring,
    outcomes,
    privacy,
    scores,
    webhooks,
)
from declinerisk_service.scopes import parse_grants
from declinerisk_service.settings import ServiceSettings
from declinerisk_service.state import ModelSlot, Runtime

log = logging.getLogger("declinerisk.service")

Loader = Callable[[str | None], Predictor]


def model_loader(settings: ServiceSettings) -> Loader:
    """Loads the configured model, or a named folder inside the models folder, verified."""
    playbook = load_playbook(settings.playbook)

    def load(version: str | None) -> Predictor:
        reference = settings.model if version is None else str(settings.models_dir / version)
        loaded = load_reference(reference, tracking_uri=settings.mlflow_tracking_uri)
        return Scorer(loaded, playbook)

    return load


def create_app(settings: ServiceSettings | None = None, loader: Loader | None = None) -> FastAPI:
    """The service. ``loader`` replaces model loading (tests pass a fake predictor)."""
    settings = settings or ServiceSettings()
    metrics = ServiceMetrics()
    extra_metrics = integrations.IntegrationMetrics(metrics.registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The model first: a refused one stops start-up before anything else is opened.
        slot = ModelSlot(loader or model_loader(settings))
        current = slot.load()
        store = open_store(settings.database_url, on_scores=integrations.score_hook(settings))
        recorder = ScoreRecorder(store, settings.spool_path, on_failure=metrics.store_failures.inc)
        metrics.serving(current.version)
        log.info("serving model %s", current.version)
        pool = ThreadPoolExecutor(settings.scoring_threads, thread_name_prefix="scoring")
        extras = integrations.Integrations(
            integrations.greenhouse(settings),
            Outbox(store),
            integrations.event_sender(settings, store, extra_metrics),
            extra_metrics,
        )
        follower = fleet.ModelFollower(
            slot, store, settings.model, metrics.serving, metrics.reload_failures.inc
        )
        try:
            await run_in_threadpool(follower.join)
        except Exception as exc:  # the store went away: the first poll joins
            log.warning("model pointer not read at start-up (%s)", type(exc).__name__)
        app.state.runtime = Runtime(slot, store, recorder, metrics, pool, extras, follower)
        purging = retention.start(settings, store)
        following = fleet.start(follower, settings.reload_poll_seconds)
        heap.settle()  # everything above lives as long as the worker
        try:
            yield
        finally:
            await fleet.stop(following)
            await retention.stop(purging)
            pool.shutdown(wait=True)
            recorder.close()
            extras.close()
            store.engine.dispose()
            heap.unsettle()

    app = FastAPI(
        title="declinerisk",
        version=__version__,
        summary="Offer-decline risk for open offers: probability, band, reasons and action.",
        lifespan=lifespan,
        responses=errors.REFUSALS,  # every route documents the stable error body
        docs_url=None,  # served by declinerisk_service.docs from the package, never from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.key_grants = parse_grants(settings.api_key_hashes)
    app.state.key_uses = KeyUses(metrics.registry)
    errors.install(app)
    # First: routes are matched in order, and this one takes nearly all the traffic. It is
    # served by a plain Starlette route: FastAPI's handling around an endpoint (dependency
    # solving, a sub-response) cost ~25 us a request, as much as scoring the offer. The
    # FastAPI route of the same endpoint, after it, is what OpenAPI documents.
    app.router.add_route(
        scores.PATH, scores.serve_scores, methods=["POST"], include_in_schema=False
    )
    app.include_router(scores.router)
    docs.install(app)
    board.install(app, settings)
    for router in (
        model.router,
        outcomes.router,
        webhooks.router,
        monitoring.router,
        admin.router,
        health.router,
        connectors.router,
        events.router,
        privacy.router,
    ):
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.middleware)  # type: ignore[arg-type]
    app.add_middleware(fleet.worker_header)  # type: ignore[arg-type]
    return app
