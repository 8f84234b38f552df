"""What the templates show: number formats, the risk chart, and the outcome reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from declinerisk.monitoring.decline_reasons import CATEGORIES

# The categories ``declinerisk reasons`` sorts stated reasons into: one list for both.
DECLINE_REASONS = CATEGORIES

BANDS = ("high", "medium", "low")


def pct(probability: float) -> str:
    return f"{probability * 100:.0f}%"


def points(effect: float) -> str:
    return f"+{effect * 100:.0f} pts"


@dataclass(frozen=True)
class Chart:
    """A small SVG line of risk over time: ``points`` in the viewBox, one ``dots`` per score."""

    width: int
    height: int
    points: str
    dots: list[tuple[float, float, str]]


def risk_chart(
    stamps: Sequence[datetime], probabilities: Sequence[float], width: int = 320, height: int = 120
) -> Chart:
    """x is time (scores evenly spaced when they share a moment), y is the probability 0-100%."""
    pad = 10.0
    n = len(probabilities)
    if n == 0:
        return Chart(width, height, "", [])
    seconds = [s.timestamp() for s in stamps]
    span = max(seconds) - min(seconds)
    xs = [
        pad + (width - 2 * pad) * ((t - min(seconds)) / span if span else (i / max(n - 1, 1)))
        for i, t in enumerate(seconds)
    ]
    ys = [height - pad - (height - 2 * pad) * p for p in probabilities]
    dots = [
        (round(x, 1), round(y, 1), f"{pct(p)} on {s:%Y-%m-%d %H:%M}")
        for x, y, p, s in zip(xs, ys, probabilities, stamps, strict=True)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return Chart(width, height, line, dots)
