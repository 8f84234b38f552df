"""How an EBM bins one input at one interaction level: its cut points or its category table.

Bin 0 holds missing values and the last bin categories never seen in training (InterpretML's
convention, read from the public ``bins_``).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Array = NDArray[np.float64]
Codes = NDArray[np.intp]
# Below this many rows a dictionary look-up per value beats pandas' factorize.
SMALL = 64


@dataclass(frozen=True, eq=False)
class Binning:
    """How one input is binned at one interaction level: cut points or a category table."""

    cuts: Array | None
    categories: dict[str, int] | None

    @property
    def unseen(self) -> int:
        """The code of a category never seen in training (the last bin)."""
        if self.categories is not None:
            return len(self.categories) + 1
        assert self.cuts is not None
        return len(self.cuts) + 2

    def codes(self, values: np.ndarray) -> Codes:
        if self.categories is not None:
            keys, uniques = factorize(values)
            return self.codes_of(keys, uniques)
        if len(values) < SMALL:
            return np.asarray([self.code(v) for v in values], dtype=np.intp)
        x = np.asarray(values, dtype=np.float64)
        assert self.cuts is not None
        found = np.searchsorted(self.cuts, x, side="right") + 1
        codes: Codes = np.where(np.isnan(x), 0, found).astype(np.intp)
        return codes

    def codes_of(self, keys: Codes, uniques: Sequence[Any]) -> Codes:
        """Codes of categories given as indices into ``uniques`` (-1 missing)."""
        table = np.asarray([*(self.code(u) for u in uniques), 0], dtype=np.intp)
        result: Codes = table[keys]
        return result

    @cached_property
    def _cut_list(self) -> list[float]:
        assert self.cuts is not None
        return [float(c) for c in self.cuts]

    def code(self, value: Any) -> int:
        """The bin of one value, as :meth:`codes` would give it."""
        if _missing(value):
            return 0
        if self.categories is None:
            x = float(value)
            # bisect_right on the cut list is searchsorted(side="right"), without NumPy's
            # per-call cost for the one-offer path; NaN is missing (bin 0).
            return 0 if x != x else bisect.bisect_right(self._cut_list, x) + 1
        return self.categories.get(str(value), self.unseen)


def factorize(values: np.ndarray) -> tuple[Codes, list[Any]]:
    """Each value's index among the distinct values (-1 where missing), and those values."""
    if len(values) >= SMALL:
        keys, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        return keys.astype(np.intp, copy=False), list(uniques)
    seen: dict[Any, int] = {}
    found = [-1 if _missing(v) else seen.setdefault(v, len(seen)) for v in values]
    return np.asarray(found, dtype=np.intp), list(seen)


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )
