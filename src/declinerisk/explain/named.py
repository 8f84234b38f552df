"""Which rows' reasons name which input: the index work of the reasons table, compiled.

The reasons table (:meth:`declinerisk.explain.reasons.ReasonWriter.table`) renders each
distinct value named by a reason once. Finding those values took a dozen NumPy passes over
every (rank, row) of a million rows (masks, a sort to group them by input, scatters back), more
than rendering and saying them. Here one compiled pass groups the named entries by input and
another writes each entry's text back, both in the same order: rank by rank, row by row, the
first input of a reason, then its second.
"""

from __future__ import annotations

import numba
import numpy as np

from declinerisk.explain.layouts import Flags, Ints


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def group(first: Ints, second: Ints, inputs: int) -> tuple[Ints, Ints]:
    """The rows of every entry naming an input (rank x rows of ``first`` and ``second``,
    -1 for none), grouped by input in entry order, and where each input's group starts
    (``inputs + 1`` bounds)."""
    bounds = np.zeros(inputs + 1, dtype=np.intp)
    for named in (first, second):
        for rank in range(named.shape[0]):
            for i in range(named.shape[1]):
                bounds[named[rank, i] + 1] += named[rank, i] >= 0
    for j in range(inputs):
        bounds[j + 1] += bounds[j]
    cursor = bounds[:-1].copy()
    rows = np.empty(bounds[-1], dtype=np.intp)
    for rank in range(first.shape[0]):
        for i in range(first.shape[1]):
            for j in (first[rank, i], second[rank, i]):
                if j >= 0:
                    rows[cursor[j]] = i
                    cursor[j] += 1
    return rows, bounds


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def texts_of(
    first: Ints, second: Ints, bounds: Ints, text: Ints, texts: int
) -> tuple[Ints, Ints, Flags]:
    """Rank x rows: the text of each reason's first input and of its second (-1 for none),
    from ``text``, one per entry in the order of :func:`group`; and which texts a single
    input's reason names."""
    cursor = bounds[:-1].copy()
    a = np.empty_like(first)
    b = np.empty_like(second)
    alone = np.zeros(texts, dtype=np.bool_)
    for rank in range(first.shape[0]):
        for i in range(first.shape[1]):
            j, k = first[rank, i], second[rank, i]
            a[rank, i] = -1
            b[rank, i] = -1
            if j >= 0:
                a[rank, i] = text[cursor[j]]
                cursor[j] += 1
            if k >= 0:
                b[rank, i] = text[cursor[k]]
                cursor[k] += 1
            elif j >= 0:
                alone[a[rank, i]] = True
    return a, b, alone
