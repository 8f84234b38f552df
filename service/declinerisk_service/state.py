"""What the app holds while it runs: the model (swappable), the store, the recorder, metrics.

Built in the lifespan, kept on ``app.state.runtime``, and reached by handlers only through the
dependencies in :mod:`declinerisk_service.deps`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from declinerisk.errors import (
    CanaryMismatchError,
    ChecksumMismatchError,
    DeclineRiskError,
    IncompatibleModelError,
    ModelLoadError,
    ModelNotLoadedError,
)
from declinerisk.scoring.predictor import Predictor
from declinerisk.store.database import Store
from declinerisk.store.recorder import ScoreRecorder
from declinerisk_service import heap
from declinerisk_service.integrations import Integrations
from declinerisk_service.metrics import ServiceMetrics

if TYPE_CHECKING:  # fleet imports ModelSlot from here
    from declinerisk_service.fleet import ModelFollower

log = logging.getLogger("declinerisk.service")


class ModelSlot:
    """The model being served. A reload builds the new one aside and swaps it in one step."""

    def __init__(self, load: Callable[[str | None], Predictor]) -> None:
        self._load = load
        self._current: Predictor | None = None
        self._reloading = threading.Lock()

    @property
    def current(self) -> Predictor:
        model = self._current
        if model is None:
            raise ModelNotLoadedError("no model is loaded")
        return model

    @property
    def loaded(self) -> bool:
        return self._current is not None

    def load(self, version: str | None = None) -> Predictor:
        """Load and swap in; on failure the old model keeps serving and the error propagates."""
        with self._reloading:
            model = self._load(version)
            first = self._current is None
            self._current = model
        if not first:  # the app settles the heap once it has started
            heap.resettle()
        return model

    def try_reload(self, version: str | None) -> tuple[bool, str | None]:
        """Reload; on refusal, why in words that name neither the request's folder name nor
        a server path (the library's message has both; the log keeps only the kind)."""
        try:
            self.load(version)
        except DeclineRiskError as exc:
            reason = refusal_reason(exc)
            log.warning("model reload refused (%s): %s", type(exc).__name__, reason)
            return False, reason
        return True, None


def refusal_reason(exc: DeclineRiskError) -> str:
    """Why a model was refused, without paths or names."""
    if isinstance(exc, ChecksumMismatchError):
        why = "the model file is truncated or altered (its SHA-256 differs from the manifest's)"
    elif isinstance(exc, CanaryMismatchError):
        why = (
            "the model's canary failed: the serving path does not reproduce the probabilities "
            "stored at training, or the canary file is altered"
        )
    elif isinstance(exc, IncompatibleModelError):
        why = "the model was written for another data contract or library version"
    elif isinstance(exc, ModelLoadError):
        why = "no loadable model there (folder, manifest or model file missing or malformed)"
    else:
        why = "the model could not be loaded"
    return f"{why}; the previous model keeps serving"


@dataclass
class Runtime:
    models: ModelSlot
    store: Store
    recorder: ScoreRecorder
    metrics: ServiceMetrics
    scoring_pool: ThreadPoolExecutor
    integrations: Integrations
    follower: ModelFollower
