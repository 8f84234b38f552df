"""Which rows' reasons name which input: the index work of the reasons table, compiled.

The reasons table (:meth:`declinerisk.explain.reasons.ReasonWriter.table`) renders each
distinct value named by a reason once. Finding those values took a dozen NumPy passes over
every (rank, row) of a million rows (masks, a sort to group them by input, scatters back), more
than rendering and saying them. Here compiled passes group the named entries by input and
write each entry's text back, all in the same order: rank by rank, row by row, the first
input of a reason, then its second.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from declinerisk.explain.layouts import Flags, Ints

# The index arrays here are int32, half of intp, and allocated here rather than by NumPy:
# first touching fresh memory is a large part of the table's time on the shared 2-core VM.
# NumPy asks for transparent huge pages for large arrays, and there first touching them cost
# 0 or ~2 ms per MB from one run to the next; numba's 4 KiB pages cost ~0.4 ms per MB every
# time (the table took 0.09 s or 0.17 s in single runs, now 0.09-0.10 s).
Codes = NDArray[np.int32]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def group(first: Ints, second: Ints, inputs: int) -> tuple[Codes, Ints]:
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
    rows = np.empty(bounds[-1], dtype=np.int32)
    for rank in range(first.shape[0]):
        for i in range(first.shape[1]):
            for j in (first[rank, i], second[rank, i]):
                if j >= 0:
                    rows[cursor[j]] = i
                    cursor[j] += 1
    return rows, bounds


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def texts_of(
    first: Ints,
    second: Ints,
    bounds: Ints,
    text: Codes,
    fixed: Ints,
    size: int,
    alone: Flags,
) -> Codes:
    """Per reason (rank x rows of ``first`` and ``second``), ``said`` (rank x 4 x rows):
    the text of its first input and of its second (-1 for none), from ``text``, one per entry
    in the order of :func:`group`; then ``fixed[(first + 1) * size + second + 1]`` (texts that
    depend only on the inputs named: 2 codes). ``alone``: the texts a single input's reason
    names. One pass, not one NumPy pass per rank and text."""
    cursor = bounds[:-1].copy()
    said = np.empty((first.shape[0], 4, first.shape[1]), dtype=np.int32)
    for rank in range(first.shape[0]):
        for i in range(first.shape[1]):
            j, k = first[rank, i], second[rank, i]
            key = (j + 1) * size + k + 1
            said[rank, 2, i] = fixed[key, 0]
            said[rank, 3, i] = fixed[key, 1]
            x, y = -1, -1
            if j >= 0:
                x = text[cursor[j]]
                cursor[j] += 1
            if k >= 0:
                y = text[cursor[k]]
                cursor[k] += 1
            elif j >= 0:
                alone[x] = True
            said[rank, 0, i] = x
            said[rank, 1, i] = y
    return said


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def recode(said: Codes, value: Codes, sentence: Codes) -> None:
    """In place, each reason's first text (``said[:, 0]``) becomes its value's code and its
    second text (``said[:, 1]``) its sentence's, both read at the first text (pairs are
    written over afterwards); -1 (no reason) reads the last entry of each table."""
    last = len(value) - 1
    for rank in range(said.shape[0]):
        for i in range(said.shape[2]):
            x = said[rank, 0, i]
            x = x if x >= 0 else last
            said[rank, 0, i] = value[x]
            said[rank, 1, i] = sentence[x]
