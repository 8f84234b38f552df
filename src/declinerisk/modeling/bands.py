"""Risk bands: the thresholds that turn a decline probability into high, medium or low.

"High = the top 10%" must hold. Isotonic calibration maps whole ranges of raw scores to one
probability, so a threshold on the probability alone puts every tied offer on the same side
and the top 10% became 13-15%. A threshold is therefore a pair (probability, raw score),
compared in that order: the raw (uncalibrated) score breaks the probability's ties. A
calibrator never reverses the raw score's order, so this is the raw-score order, and the
configured shares hold on new offers from the same distribution as well. Callers that have no
raw score compare the probability alone, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
# Up to this many probabilities are banded in plain Python (a request), more with NumPy.
FEW = 32
NAMES = np.asarray([LOW, MEDIUM, HIGH])  # by code; also fixes the names' dtype


@dataclass(frozen=True)
class RiskBands:
    """At or above (``high``, ``high_raw``) is high risk; at or above the medium pair, medium.

    Pairs compare the probability first and the raw score only on a tie; with no raw score
    (from the caller or stored) the probability alone decides.
    """

    high: float
    medium: float
    high_raw: float | None = None
    medium_raw: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValueError(f"need 0 <= medium <= high <= 1, got {self.medium}, {self.high}")
        if (self.high_raw is None) != (self.medium_raw is None):
            raise ValueError("raw thresholds come in pairs: set both high_raw and medium_raw")

    @classmethod
    def from_scores(
        cls,
        scores: ArrayLike,
        high_share: float,
        medium_share: float,
        raw: ArrayLike | None = None,
    ) -> RiskBands:
        """Thresholds that put the top ``high_share`` of ``scores`` in high and the next
        ``medium_share`` in medium; ``raw`` (the uncalibrated scores of the same rows, e.g.
        log-odds) breaks ties between equal probabilities."""
        values = np.asarray(scores, dtype=float)
        if raw is None:
            high = float(np.quantile(values, 1.0 - high_share))
            medium = float(np.quantile(values, 1.0 - high_share - medium_share))
            return cls(high=high, medium=min(medium, high))
        tiebreak = np.asarray(raw, dtype=float)
        if tiebreak.shape != values.shape:
            raise ValueError(f"raw has shape {tiebreak.shape}, scores {values.shape}")
        order = np.lexsort((tiebreak, values))  # ascending by probability, then raw
        high_at = _pair(values, tiebreak, order, high_share)
        medium_at = _pair(values, tiebreak, order, high_share + medium_share)
        return cls(high_at[0], medium_at[0], high_at[1], medium_at[1])

    def band(self, probability: float, raw: float | None = None) -> str:
        return str(self.bands(np.array([probability]), None if raw is None else [raw])[0])

    def bands(self, probabilities: ArrayLike, raw: ArrayLike | None = None) -> NDArray[np.str_]:
        names: NDArray[np.str_] = NAMES[self.levels(probabilities, raw)]
        return names

    def levels(self, probabilities: ArrayLike, raw: ArrayLike | None = None) -> NDArray[np.int8]:
        """Each probability's band as its index in ``NAMES``: 0 low, 1 medium, 2 high."""
        p = np.asarray(probabilities, dtype=float)
        if p.ndim == 1 and p.size <= FEW and (raw is None or np.shape(raw) == p.shape):
            return self._few(p, raw)
        r = None if raw is None else np.asarray(raw, dtype=float)
        high = self._at_or_above(p, r, self.high, self.high_raw)
        medium = self._at_or_above(p, r, self.medium, self.medium_raw)
        # Small integer codes (then one take for names): nested np.where of strings wrote
        # every row's text twice and was a noticeable share of scoring a million rows.
        return np.where(high, np.int8(2), medium.astype(np.int8))

    def _few(self, p: NDArray[np.float64], raw: ArrayLike | None) -> NDArray[np.int8]:
        """:meth:`levels` of a few probabilities (a request), the same comparisons per value
        without NumPy's cost per operation."""
        r = [None] * p.size if raw is None else np.asarray(raw, dtype=float).tolist()
        levels = [
            2
            if _reaches(x, y, self.high, self.high_raw)
            else int(_reaches(x, y, self.medium, self.medium_raw))
            for x, y in zip(p.tolist(), r, strict=True)
        ]
        return np.asarray(levels, dtype=np.int8)

    @staticmethod
    def _at_or_above(
        p: NDArray[np.float64],
        r: NDArray[np.float64] | None,
        threshold: float,
        threshold_raw: float | None,
    ) -> NDArray[np.bool_]:
        if r is None or threshold_raw is None:
            above: NDArray[np.bool_] = p >= threshold
            return above
        tied = (p == threshold) & (r >= threshold_raw)
        return np.asarray((p > threshold) | tied, dtype=bool)

    def to_dict(self) -> dict[str, float]:
        stored = {"high": self.high, "medium": self.medium}
        if self.high_raw is not None and self.medium_raw is not None:
            stored.update(high_raw=self.high_raw, medium_raw=self.medium_raw)
        return stored


def _pair(
    p: NDArray[np.float64], raw: NDArray[np.float64], order: NDArray[np.intp], share: float
) -> tuple[float, float]:
    """The (probability, raw) pair at or above which ``share`` of the rows lie."""
    count = min(max(round(share * len(p)), 1), len(p))
    at = order[len(p) - count]
    return float(p[at]), float(raw[at])


def _reaches(p: float, raw: float | None, threshold: float, threshold_raw: float | None) -> bool:
    """One value of ``RiskBands._at_or_above``."""
    if raw is None or threshold_raw is None:
        return p >= threshold
    return p > threshold or (p == threshold and raw >= threshold_raw)
