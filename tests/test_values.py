"""A number reads as the typical value exactly when the kernel's interval says so."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from declinerisk.data import schema
from declinerisk.explain.values import reading_of, render_value

NUMBERS = [c for c in schema.COLUMNS if c.is_feature and c.is_numeric]
EDGES = [0.0, -0.0, 0.04, -0.04, 0.05, -0.05, 0.15, 0.25, 0.5, 0.95, 1.0, 1.05, 1.3, -1.8, 23.0]


def _near(x: float) -> list[float]:
    return [x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]


@settings(max_examples=300, deadline=None)
@given(
    column=st.sampled_from(NUMBERS),
    typical=st.one_of(st.sampled_from(EDGES), st.floats(-200, 200)),
    value=st.one_of(st.sampled_from(EDGES), st.floats(-200, 200), st.just(math.nan)),
)
def test_reading_of_agrees_with_the_words(
    column: schema.Column, typical: float, value: float
) -> None:
    reading = reading_of(column, typical)
    said = render_value(column, typical)
    for x in [*_near(value), *_near(typical), *_near(reading.lo), *_near(reading.hi)]:
        if not math.isinf(x):
            assert reading.covers(x) == (render_value(column, x) == said), (x, reading)
