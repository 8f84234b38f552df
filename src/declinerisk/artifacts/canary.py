"""Canary offers: synthetic rows stored with a model and the probabilities it gave them.

At training, the canary's probabilities come from the library's public API
(``GlassboxModel.predict_proba``); at every load they are recomputed through the serving
kernel, and a difference beyond 1e-9 refuses the model. The rows are drawn from the model's
own bins (cut points, values between them, every category, missing and unseen values), never
from candidates' data, so a model folder holds no personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.data.features import FeatureSet

ROWS = 300
UNSEEN = "(canary: a category never seen)"


@dataclass(frozen=True)
class Canary:
    columns: dict[str, np.ndarray]
    probability: NDArray[np.float64]

    @property
    def rows(self) -> int:
        return len(self.probability)

    def to_json(self) -> str:
        columns = {
            name: [None if _missing(v) else _plain(v) for v in values]
            for name, values in self.columns.items()
        }
        # repr-exact floats: json writes the shortest text that reads back to the same double.
        return json.dumps({"columns": columns, "probability": self.probability.tolist()})

    @classmethod
    def from_json(cls, text: str) -> Canary:
        data = json.loads(text)
        probability = np.asarray(data["probability"], dtype=np.float64)
        columns = {}
        for name, values in data["columns"].items():
            if len(values) != len(probability):
                raise ValueError(f"canary column {name!r} has {len(values)} rows")
            numeric = all(v is None or isinstance(v, int | float) for v in values)
            columns[name] = (
                np.asarray([np.nan if v is None else float(v) for v in values])
                if numeric
                else np.asarray(values, dtype=object)
            )
        return cls(columns, probability)


def canary_columns(ebm: Any, features: FeatureSet, seed: int) -> dict[str, np.ndarray]:
    """``ROWS`` synthetic offers that visit every bin edge the model uses, and beyond."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for j, column in enumerate(features.columns):
        levels = ebm.bins_[j]
        if isinstance(levels[0], dict):
            pool: list[Any] = [*map(str, levels[0]), None, UNSEEN]
            columns[column.name] = np.asarray(
                [pool[i] for i in rng.integers(0, len(pool), ROWS)], dtype=object
            )
            continue
        cuts = np.unique(np.concatenate([np.asarray(level, dtype=float) for level in levels]))
        if len(cuts) == 0:
            cuts = np.asarray([0.0])
        between = (cuts[:-1] + cuts[1:]) / 2 if len(cuts) > 1 else cuts
        pool_values = np.concatenate([cuts, between, [cuts[0] - 1.0, cuts[-1] + 1.0, np.nan]])
        columns[column.name] = pool_values[rng.integers(0, len(pool_values), ROWS)]
    return columns


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
