"""Risk bands: the thresholds that turn a decline probability into high, medium or low."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

HIGH = "high"
MEDIUM = "medium"
LOW = "low"


@dataclass(frozen=True)
class RiskBands:
    """Probabilities at or above ``high`` are high risk; at or above ``medium``, medium."""

    high: float
    medium: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValueError(f"need 0 <= medium <= high <= 1, got {self.medium}, {self.high}")

    @classmethod
    def from_scores(cls, scores: ArrayLike, high_share: float, medium_share: float) -> RiskBands:
        """Thresholds that put the top ``high_share`` of ``scores`` in high and the next
        ``medium_share`` in medium."""
        values = np.asarray(scores, dtype=float)
        high = float(np.quantile(values, 1.0 - high_share))
        medium = float(np.quantile(values, 1.0 - high_share - medium_share))
        return cls(high=high, medium=min(medium, high))

    def band(self, probability: float) -> str:
        if probability >= self.high:
            return HIGH
        return MEDIUM if probability >= self.medium else LOW

    def bands(self, probabilities: ArrayLike) -> NDArray[np.str_]:
        p = np.asarray(probabilities, dtype=float)
        return np.where(p >= self.high, HIGH, np.where(p >= self.medium, MEDIUM, LOW))

    def to_dict(self) -> dict[str, float]:
        return {"high": self.high, "medium": self.medium}
