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

    Single inputs never share an input, so while no pair is kept the greedy choice is the
    three largest effects, earliest first on a tie: kept as they come with selects, not
    branches (the greedy scans mispredicted most of their branches and cost more than the
    effects' ``exp``). A row that keeps a pair takes the greedy choice, which knows overlaps.
    Every rank of every row is written here (``NONE``/NaN past the last reason).
    """
    moved, alone, fall = block
    floor, singles, candidate = explain.floor, len(explain.feature), explain.candidate
    first, second, effect, lead = out.first, out.second, out.effect, out.lead
    raw, probability = out.raw[start : start + n], out.probability[start : start + n]
    edge = np.empty(n)
    for i in range(n):
        edge[i] = _threshold(probability[i], calibration, floor)
    listed, count = _screen(moved, alone, edge)
    found = np.empty(len(candidate))
    index = np.empty(len(candidate), dtype=np.intp)
    top = first.shape[0] == 3  # the selects below keep three; any other TOP goes greedy
    for i in range(n):
        p, kept, paired = probability[i], 0, not top
        f0, f1, f2, c0, c1, c2 = -np.inf, -np.inf, -np.inf, -1, -1, -1
        for v in range(count[i]):
            c = listed[i, v]
            # A pair only when its interaction alone reaches the floor (screened already).
            if c >= singles:
                if p - to_probability(alone[c - singles, i], calibration) < floor:
                    continue
                paired = True
            f = p - to_probability(moved[c, i], calibration)
            found[kept], index[kept] = f, c
            kept += f >= floor
            f = f if f >= floor else -np.inf  # strictly greater: an earlier one wins a tie
            f2, c2 = (f1, c1) if f > f1 else (f, c) if f > f2 else (f2, c2)
            f1, c1 = (f0, c0) if f > f0 else (f, c) if f > f1 else (f1, c1)
            f0, c0 = (f, c) if f > f0 else (f0, c0)
        if paired:
            c = _choose(
                explain.overlap, candidate, found, index, kept, (first, second, effect), start + i
            )
        else:
            c = c0
            _single(candidate, c0, f0, 0, first, second, effect, start + i)
            _single(candidate, c1, f1, 1, first, second, effect, start + i)
            _single(candidate, c2, f2, 2, first, second, effect, start + i)
        lead[start + i] = candidate[c, 0] if c >= 0 else -1
        if c >= singles:  # of a pair, the input whose own effect is larger (first on a tie)
            a, b = explain.pair_inputs[c - singles, 0], explain.pair_inputs[c - singles, 1]
            own_a = p - to_probability(raw[i] - fall[a, i], calibration)
            if p - to_probability(raw[i] - fall[b, i], calibration) > own_a:
                lead[start + i] = candidate[c, 1]


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _single(
    candidate: Ints,
    c: int,
    found: float,
    rank: int,
    first: Ints,
    second: Ints,
    effect: Floats,
    i: int,
) -> None:
    """Rank ``rank`` of row ``i``: single input ``c`` with its effect, or none (``c`` < 0)."""
    first[rank, i] = candidate[c, 0] if c >= 0 else -1
    second[rank, i] = -1
    effect[rank, i] = found if c >= 0 else np.nan


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _screen(moved: Grid, alone: Grid, edge: Floats) -> tuple[Ints, Ints]:
    """Per row of the block, the candidates (in order) whose log-odds pass the edge, a pair
    only when its interaction alone passes it too: a branch-free append, column by column.

    Most pairs pass on their joint log-odds but not alone (on the demo model ~10 of 14
    listed per row); screened here, they no longer cost the per-row loop a branch each."""
    n, singles = len(edge), moved.shape[0] - alone.shape[0]
    listed = np.empty((n, moved.shape[0]), dtype=np.intp)
    count = np.zeros(n, dtype=np.intp)
    for c in range(singles):
        for i in range(n):
            listed[i, count[i]] = c
            count[i] += moved[c, i] <= edge[i]
    for c in range(singles, moved.shape[0]):
        for i in range(n):
            listed[i, count[i]] = c
            count[i] += (moved[c, i] <= edge[i]) & (alone[c - singles, i] <= edge[i])
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
    """The strongest candidates, greedily, no input named twice; on a tie the earlier one
    (ranks past the last reason get none). Returns the leading candidate (-1 for none)."""
    first, second, effect = chosen
    lead = -1
    for rank in range(first.shape[0]):
        best = -1
        for v in range(count):
            if index[v] >= 0 and (best < 0 or found[v] > found[best]):
                best = v
        if best < 0:
            first[rank, i], second[rank, i], effect[rank, i] = -1, -1, np.nan
            continue
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
