"""The kernel's inputs from plain records (a request's offers), row by row.

The column path (:meth:`declinerisk.scoring.kernel.Kernel.score` on a file's arrays)
factorises each category column and builds a table per column with NumPy; for a request of a
few offers NumPy's cost per call outweighs the work. Here the same inputs are built with
dictionary look-ups per value, exactly as the column path reads them (a test compares the two
bit for bit): numbers as floats with NaN for missing, a category as "reads as its typical
value" (1.0 or 0.0) and each binning slot's code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.explain.values import render_value
from declinerisk.scoring.column_inputs import InputPlan

# (input, value) -> typical flag, remembered; unseen categories are unbounded, so it starts over.
FLAG_CACHE = 10_000


class RecordReader:
    """One model's inputs, read from records."""

    def __init__(self, plan: InputPlan) -> None:
        names = plan.features.names
        self._columns = plan.features.columns
        self._typical_text = plan.typical_text
        # Plain Python tuples: indexing NumPy arrays per value is slow.
        self._plan = [(j, names[j], bool(plan.numeric[j])) for j in range(len(names))]
        # Per slot: its input, name, binning, its table of categories (a text value's code,
        # as Binning.code finds it) and the code of a category never seen in training.
        self._slots = [(j, names[j], b, b.categories or {}, b.unseen) for j, b in plan.slots]
        self._flags: dict[tuple[int, type, Any], float] = {}

    def inputs(
        self, records: Sequence[Mapping[str, Any]]
    ) -> tuple[tuple[NDArray[np.float64], ...], NDArray[np.intp], NDArray[np.bool_]]:
        """One read-only array of numbers per input (a category: its typical flag), category
        slots x rows of bin codes, and inputs x rows of "a category never seen in training"."""
        flag, plan, slots = self._typical_flag, self._plan, self._slots
        values = [
            [
                (math.nan if (v := record.get(name)) is None else float(v))
                if numeric
                else flag(j, record.get(name))
                for j, name, numeric in plan
            ]
            for record in records
        ]
        codes = [
            [
                known.get(v, never) if type(v := record.get(name)) is str else b.code(v)
                for _, name, b, known, never in slots
            ]
            for record in records
        ]
        unseen = np.zeros((len(plan), len(records)), dtype=bool)
        for i, row in enumerate(codes):
            for (j, _, _, _, never), code in zip(slots, row, strict=True):
                if code == never:
                    unseen[j, i] = True
        return _columns(values, len(plan)), _c_order(codes, np.intp, len(slots)), unseen

    def _typical_flag(self, j: int, value: Any) -> float:
        """1.0 when input ``j``'s category ``value`` reads as its typical value."""
        text = self._typical_text.get(j)
        if text is None:
            return 0.0
        key = (j, value.__class__, value)  # 1, 1.0 and True are equal keys, not equal words
        flag = self._flags.get(key)
        if flag is None:
            if len(self._flags) >= FLAG_CACHE:
                self._flags.clear()
            flag = self._flags[key] = float(render_value(self._columns[j], value) == text)
        return flag


def _columns(rows: list[list[float]], width: int) -> tuple[NDArray[np.float64], ...]:
    """Rows x ``width`` numbers as one read-only array per column, as the column path gives
    the compiled kernel its inputs (the same type, so it is compiled once)."""
    block = _c_order(rows, np.float64, width)
    block.flags.writeable = False
    return tuple(block)


def _c_order(rows: list[list[Any]], dtype: Any, width: int) -> Any:
    """Rows x ``width`` lists as a ``width`` x rows C-ordered array (the compiled kernel is
    compiled for C order; another layout would compile it again)."""
    return np.ascontiguousarray(np.array(rows, dtype=dtype).reshape(len(rows), width).T)
