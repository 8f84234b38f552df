"""The compiled kernel's reason choice: which inputs and pairs lower a row's risk by the floor.

For each row of a block, a cheap log-odds screen (:func:`_threshold`) rules out the candidates
whose effect cannot reach the floor; the rest get their exact effect (one ``exp`` each) and
the strongest are chosen greedily with no input named twice. Called by
:mod:`declinerisk.scoring.compiled`, block by block.
"""

from __future__ import annotations

import numba
import numpy as np

from declinerisk.explain.layouts import Calibration, Explain, Flags, Floats, Grid, Ints, Outputs

# The screen only skips candidates whose effect is below floor * (1 - SLACK): 1e-6 of the
# floor is ~1e8 times the rounding error of the screen, and costs almost no extra ``exp``.
SLACK = 1e-6


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def to_probability(raw: float, calibration: Calibration) -> float:
    # The same operations as Calibration.probability: 1 / (1 + exp(-(slope * raw + b))).
    return 1.0 / (1.0 + np.exp(-(calibration[0] * raw + calibration[1])))  # type: ignore[no-any-return]


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _threshold(p: float, calibration: Calibration, floor: float) -> float:
    """Log-odds above which no change can lower ``p`` by the floor (less a slack): the
    calibration rises, so an effect ``p - prob(x)`` reaches the floor only at ``x`` below
    ``logit(p - floor)``. ``-inf`` when ``p`` itself is below the floor."""
    q = p - floor * (1.0 - SLACK)
    if q <= 0.0:
        return -np.inf
    return (np.log(q / (1.0 - q)) - calibration[1]) / calibration[0]  # type: ignore[no-any-return]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def reasons(
    start: int,
    n: int,
    calibration: Calibration,
    explain: Explain,
    block: tuple[Grid, Grid, Grid],
    out: Outputs,
) -> None:
    """The block's reasons and leads: the candidates that pass the screen, gathered column
    by column, then for each row their exact effects and the choice among them.

    Arrays are taken out of their tuples once, here: read from a tuple inside the per-row
    loops, each access paid a reference count, which cost more than the work itself.
    """
    moved, alone, fall = block
    floor, singles, candidate = explain.floor, len(explain.feature), explain.candidate
    first, second, effect, lead = out.first, out.second, out.effect, out.lead
    raw, probability = out.raw[start : start + n], out.probability[start : start + n]
    edge = np.empty(n)
    for i in range(n):
        edge[i] = _threshold(probability[i], calibration, floor)
    listed, count = _screen(moved, edge)
    found = np.empty(len(candidate))
    index = np.empty(len(candidate), dtype=np.intp)
    for i in range(n):
        p, kept = probability[i], 0
        for v in range(count[i]):
            c = listed[i, v]
            if c >= singles:  # a pair only when its interaction alone reaches the floor
                own = alone[c - singles, i]
                if own > edge[i] or p - to_probability(own, calibration) < floor:
                    continue
            found[kept] = p - to_probability(moved[c, i], calibration)
            index[kept] = c
            kept += found[kept] >= floor
        c = _choose(
            explain.overlap, candidate, found, index, kept, (first, second, effect), start + i
        )
        lead[start + i] = candidate[c, 0] if c >= 0 else -1
        if c >= singles:  # of a pair, the input whose own effect is larger (first on a tie)
            a, b = explain.pair_inputs[c - singles, 0], explain.pair_inputs[c - singles, 1]
            own_a = p - to_probability(raw[i] - fall[a, i], calibration)
            if p - to_probability(raw[i] - fall[b, i], calibration) > own_a:
                lead[start + i] = candidate[c, 1]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _screen(moved: Grid, edge: Floats) -> tuple[Ints, Ints]:
    """Per row of the block, the candidates (in order) whose log-odds pass the edge: a
    branch-free append, column by column."""
    n = len(edge)
    listed = np.empty((n, moved.shape[0]), dtype=np.intp)
    count = np.zeros(n, dtype=np.intp)
    for c in range(moved.shape[0]):
        for i in range(n):
            listed[i, count[i]] = c
            count[i] += moved[c, i] <= edge[i]
    return listed, count


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _choose(
    overlap: Flags,
    candidate: Ints,
    found: Floats,
    index: Ints,
    count: int,
    chosen: tuple[Ints, Ints, Floats],
    i: int,
) -> int:
    """The strongest candidates, greedily, no input named twice; on a tie the earlier one.
    Returns the leading candidate (-1 for none)."""
    first, second, effect = chosen
    lead = -1
    for rank in range(first.shape[0]):
        best = -1
        for v in range(count):
            if index[v] >= 0 and (best < 0 or found[v] > found[best]):
                best = v
        if best < 0:
            break
        c = index[best]
        lead = c if rank == 0 else lead
        first[rank, i], second[rank, i], effect[rank, i] = (
            candidate[c, 0],
            candidate[c, 1],
            found[best],
        )
        for v in range(count):
            if index[v] >= 0 and overlap[c, index[v]]:
                index[v] = -1
    return lead
