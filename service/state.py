"""What the app holds while it runs: the model (swappable), the store, the recorder, metrics.

Built in the lifespan, kept on ``app.state.runtime``, and reached by handlers only through the
dependencies in :mod:`service.deps`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from declinerisk.errors import DeclineRiskError, ModelNotLoadedError
from declinerisk.recorder import ScoreRecorder
from declinerisk.scoring import Predictor
from declinerisk.store import Store
from service.integrations import Integrations
from service.metrics import ServiceMetrics


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
            self._current = model
            return model

    def try_reload(self, version: str | None) -> tuple[bool, str | None]:
        try:
            self.load(version)
        except DeclineRiskError as exc:
            return False, str(exc)
        return True, None


@dataclass
class Runtime:
    models: ModelSlot
    store: Store
    recorder: ScoreRecorder
    metrics: ServiceMetrics
    scoring_pool: ThreadPoolExecutor
    integrations: Integrations
