"""How a value is said to a recruiter: "34 days", "-8.5%", "yes", "referral", "not recorded".

Reasons name a candidate's value and the typical one in these words, and the kernel uses the
same words to decide that a value "is" typical, so a reason never names a value that reads the
same as the typical value it is measured against.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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


def reads_as(column: Column, values: np.ndarray, text: str) -> NDArray[np.bool_]:
    """Which ``values`` render as ``text``: each distinct value is rendered once."""
    if len(values) == 1:
        return np.asarray([render_value(column, values[0]) == text])
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = render_value(column, None) == text
    same = np.asarray([render_value(column, u) == text for u in uniques] + [missing], dtype=bool)
    found: NDArray[np.bool_] = same[codes]
    return found
