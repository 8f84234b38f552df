"""The kernel's inputs from columns (a file's validated frame), one NumPy pass per column.

Each category column is factorised once: its distinct values are read (typical or not, their
bin codes) and the rows take theirs by index, so a million rows cost a few thousand look-ups.
:mod:`declinerisk.scoring.record_inputs` builds the same inputs from a request's records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.data.features import FeatureSet
from declinerisk.explain.binning import Binning, factorize
from declinerisk.explain.layouts import Columns
from declinerisk.explain.values import render_value

Keys = dict[int, tuple[NDArray[np.intp], list[Any]]]


@dataclass(frozen=True)
class InputPlan:
    """What the kernel reads of each input, for both readers (columns and records)."""

    features: FeatureSet
    numeric: Sequence[bool]  # per input: binned by cut points (else as a category)
    typical_text: Mapping[int, str]  # per input with a typical value: how it is said
    slots: Sequence[tuple[int, Binning]]  # each category slot's input and binning, in order


class ColumnReader:
    """One model's inputs, read from columns."""

    def __init__(self, plan: InputPlan) -> None:
        self._features = plan.features
        self._numeric = list(plan.numeric)
        self._typical_text = plan.typical_text
        self._slots = list(plan.slots)

    def inputs(
        self, columns: Mapping[str, np.ndarray], rows: int
    ) -> tuple[Columns, NDArray[np.intp], Keys]:
        """One array per input (a categorical input: 1.0 where it reads as typical), each
        categorical slot's bin codes (category slots x rows), and each categorical input's
        values factorised.

        A numeric input is the caller's own array when it already is contiguous float64 (a
        frame's column): copying all of them into one block was ~100 MB per million rows.
        Every array goes in as a read-only view, so frames (read-only under copy-on-write)
        and records give the compiled loop one type and it is compiled once."""
        values: list[NDArray[np.float64]] = []
        categories = np.empty((len(self._slots), rows), dtype=np.intp)
        keys: Keys = {}
        for j, name in enumerate(self._features.names):
            if self._numeric[j]:
                column = np.ascontiguousarray(columns[name], dtype=np.float64)
            else:
                keys[j] = factorize(columns[name])
                column = (
                    self._reads_typical(j, *keys[j]) if j in self._typical_text else np.zeros(rows)
                )
            view = column.view()
            view.flags.writeable = False
            values.append(view)
        for row, (j, binning) in enumerate(self._slots):
            categories[row] = binning.codes_of(*keys[j])
        return tuple(values), categories, keys

    def unseen(self, categories: NDArray[np.intp], rows: int) -> NDArray[np.bool_]:
        """Inputs x rows: a categorical value never seen in training."""
        found = np.zeros((len(self._features.names), rows), dtype=bool)
        for row, (j, binning) in enumerate(self._slots):
            found[j] |= categories[row] == binning.unseen
        return found

    def _reads_typical(
        self, j: int, keys: NDArray[np.intp], uniques: list[Any]
    ) -> NDArray[np.float64]:
        column, text = self._features.columns[j], self._typical_text[j]
        same = [render_value(column, u) == text for u in uniques]
        table = np.asarray([*same, render_value(column, None) == text], dtype=np.float64)
        found: NDArray[np.float64] = table[keys]
        return found
