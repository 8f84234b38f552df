"""How a value is said to a recruiter: "34 days", "-8.5%", "yes", "referral", "not recorded".

Reasons name a candidate's value and the typical one in these words, and the kernel uses the
same words to decide that a value "is" typical, so a reason never names a value that reads the
same as the typical value it is measured against.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import pandas as pd

from declinerisk.data.schema import Column, Kind

NOT_RECORDED = "not recorded"


def render_value(column: Column, value: Any) -> str:
    """``value`` as a recruiter would say it: "34 days", "-8.5%", "yes", "referral"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return NOT_RECORDED
    if column.kind is Kind.BOOLEAN:
        return "yes" if float(value) >= 0.5 else "no"
    if not column.is_numeric:
        return str(value).strip()
    number = float(value)
    text = f"{number:.1f}".removesuffix(".0")
    if text == "-0":  # -0.04 shown to one decimal is zero, not "minus zero"
        text, number = "0", 0.0
    if column.unit == "%":
        return f"{'+' if number > 0 else ''}{text}%"
    if not column.unit:
        return text
    unit = column.unit[:-1] if number == 1 and column.unit.endswith("s") else column.unit
    return f"{text} {unit}"


@dataclass(frozen=True)
class Reading:
    """The numbers that read as one text: ``lo <= x <= hi and x != hole``, or missing values
    when ``missing``. The kernel tests this per row instead of rendering every value."""

    lo: float
    hi: float
    hole: float = math.nan
    missing: bool = False

    def covers(self, x: float) -> bool:
        if math.isnan(x):
            return self.missing
        return self.lo <= x <= self.hi and x != self.hole


def reading_of(column: Column, value: Any) -> Reading:
    """The numbers ``column`` says as it says ``value`` (a number column).

    Rounding to one decimal is monotone, so the numbers shown with the same digits are one
    interval, found by bisection over the doubles; the sign of "+0%" and the singular of
    "1 day" cut it once more. The result is checked against :func:`render_value` at its
    edges, so a change of wording that broke the interval fails loudly at model load.
    """
    text = render_value(column, value)
    if text == NOT_RECORDED:
        return Reading(math.nan, math.nan, missing=True)
    t = float(value)
    if column.kind is Kind.BOOLEAN:
        half = 0.5
        reading = Reading(half, math.inf) if t >= half else Reading(-math.inf, _after(half, -1))
    else:
        reading = _rounded(column, t)
    if not _agrees(column, text, reading):
        raise ValueError(f"{column.name}: the values read as {text!r} are not an interval")
    return reading


def _rounded(column: Column, t: float) -> Reading:
    shown = _tenths(t)
    lo = _first(-_INF_KEY, _key(t), lambda x: _tenths(x) >= shown)
    hi = _first(_key(t), _INF_KEY, lambda x: _tenths(x) > shown, before=True)
    if column.unit == "%" and shown == 0:  # "+0%" above zero, "0%" at or below
        lo, hi = (max(lo, _after(0.0, 1)), hi) if t > 0 else (lo, min(hi, 0.0))
    if column.unit.endswith("s") and shown == 1:  # "1 day" is 1 exactly; "1 days" is not
        return Reading(1.0, 1.0) if t == 1 else Reading(lo, hi, hole=1.0)
    return Reading(lo, hi)


def _agrees(column: Column, text: str, reading: Reading) -> bool:
    def reads(x: float) -> bool:
        return render_value(column, x) == text

    edges = [reading.lo, reading.hi]
    outside = [_after(reading.lo, -1), _after(reading.hi, 1)]
    if not math.isnan(reading.hole):
        outside.append(reading.hole)
    return all(reads(x) for x in edges) and not any(
        reads(x) for x in outside if not math.isinf(x) or x not in edges
    )


def _tenths(x: float) -> float:
    return float(f"{x:.1f}")


# Doubles in order as integers: the key of -x is minus the key of x; infinity is the largest.
_INF_KEY = 0x7FF0_0000_0000_0000


def _key(x: float) -> int:
    bits: int = struct.unpack("<q", struct.pack("<d", x))[0]
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _double(key: int) -> float:
    bits = key if key >= 0 else -key | 1 << 63
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


def _after(x: float, direction: int) -> float:
    return x if math.isinf(x) else math.nextafter(x, direction * math.inf)


def _first(lo: int, hi: int, holds: Any, *, before: bool = False) -> float:
    """The first double in ``[lo, hi]`` (keys) where ``holds`` (False, then True); with
    ``before`` the last one where it does not; an end of the range if there is none."""
    if holds(_double(lo)):
        return _double(lo) if not before else -math.inf
    if not holds(_double(hi)):
        return _double(hi)
    while hi - lo > 1:  # holds(lo) is False, holds(hi) True
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if holds(_double(mid)) else (mid, hi)
    return _double(lo if before else hi)
