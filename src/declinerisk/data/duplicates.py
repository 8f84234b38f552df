"""The one place that decides which offers repeat an earlier offer's id.

A file scored in chunks, a training export and a request of many offers all go through
:class:`SeenIds`: the first row with an id is kept, every later row with it is refused as
``duplicate offer_id (first seen at row N)``, whether N is in the same chunk or an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from declinerisk.data import schema
from declinerisk.data.refusals import duplicate_id
from declinerisk.errors import RowProblem


class SeenIds:
    """Offer ids seen so far, as sorted 64-bit hashes with the row each was first seen at.

    Hashes keep memory at 16 bytes per distinct id however long the ids are (80 MB for five
    million rows). A collision (odds about 1 in 10^12 at five million rows) would refuse a row
    as a duplicate, never let one through or drop a row silently.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)

    def repeats(
        self, ids: Sequence[object] | np.ndarray, rows: Sequence[int] | np.ndarray
    ) -> list[RowProblem]:
        """The rows among ``rows`` (in input order) whose id was seen before; remembers the rest.

        Missing ids (None, NaN) are neither duplicates nor remembered: validation refuses them.
        """
        values = np.asarray(ids, dtype=object)
        present = np.flatnonzero(pd.notna(values))
        if not len(present):
            return []
        values, at = values[present], np.asarray(rows, dtype=np.int64)[present]
        # Python strings in an object array: a fixed-width numpy string array would take the
        # longest id's width for every row.
        hashes = pd.util.hash_array(np.asarray([str(v) for v in values], dtype=object))
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        first_row = at[first][inverse]
        repeated = first[inverse] != np.arange(len(hashes))
        if len(self._hashes):
            found = np.searchsorted(self._hashes, hashes)
            clipped = np.minimum(found, len(self._hashes) - 1)
            earlier = (found < len(self._hashes)) & (self._hashes[clipped] == hashes)
            first_row = np.where(earlier, self._rows[clipped], first_row)
            repeated |= earlier
            new = ~earlier[first]
            self._remember(unique[new], at[first][new])
        else:
            self._remember(unique, at[first])
        return [
            RowProblem(int(row), schema.ID_COLUMN, str(value), duplicate_id(int(seen)))
            for row, value, seen in zip(
                at[repeated], values[repeated], first_row[repeated], strict=True
            )
        ]

    def _remember(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        merged = np.concatenate([self._hashes, hashes])
        order = np.argsort(merged, kind="stable")
        self._hashes = merged[order]
        self._rows = np.concatenate([self._rows, rows])[order]


def repeats_within(ids: Sequence[object], rows: Sequence[int]) -> list[RowProblem]:
    """:meth:`SeenIds.repeats` of one batch with nothing seen before it (a request's offers),
    from a dictionary: the same refusals, exact, without hashing the batch into arrays (which
    cost more than validating a hundred offers). Ids are text or None (missing)."""
    first: dict[str, int] = {}
    problems = []
    for value, row in zip(ids, rows, strict=True):
        if value is None:
            continue
        key = str(value)
        seen = first.setdefault(key, row)
        if seen != row:
            problems.append(RowProblem(int(row), schema.ID_COLUMN, key, duplicate_id(seen)))
    return problems
