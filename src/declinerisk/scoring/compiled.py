"""The kernel's per-row loop, compiled with numba over the flat term tables.

NumPy needs one pass over every row per operation, and explaining a row takes hundreds of
them (each input's and each pair's terms looked up again, then the reason choice), so the
explained kernel ran at a quarter of InterpretML's own ``predict_proba``. Here rows go in
blocks of ``BLOCK``: each step loops over the block's rows innermost (independent rows, so the
processor overlaps them; a row at a time was bound by the latency of its own chain of
additions), its scratch stays in cache, and the branchy reason choice runs per row over
numbers already computed. The arithmetic is the same, in the same order, per row:

* the log-odds are ``intercept + (((0 + term_0) + term_1) + ...)``, term by term in term
  order, so one offer alone and the same offer among a million get the same bits;
* an input's fall in log-odds when set to another value sums its incidences in plan order;
* an effect is computed exactly (one ``exp``) only for the candidates a cheap log-odds screen
  cannot rule out (see :func:`_threshold`);

so a row's numbers do not depend on the block it is in, or on how many rows are scored.

The layouts (:mod:`declinerisk.layouts`) are tuples of arrays built once per model.
Functions are compiled on first use and cached on disk (``cache=True``); the model's canary
check at load is that first use, so a service never compiles on a request. ``nogil``: the
service's threads score concurrently.
"""

from __future__ import annotations

import numba
import numpy as np

from declinerisk.explain.layouts import (
    Bins,
    Calibration,
    Explain,
    Flags,
    Floats,
    Grid,
    Ints,
    Levers,
    Outputs,
    Swap,
    Terms,
)

# The screen only skips candidates whose effect is below floor * (1 - SLACK): 1e-6 of the
# floor is ~1e8 times the rounding error of the screen, and costs almost no extra ``exp``.
SLACK = 1e-6
# Rows per block: the block's scratch (terms, incidences, candidates x rows) stays in cache.
BLOCK = 256


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def score_rows(
    values: Floats,
    categories: Ints,
    bins: Bins,
    terms: Terms,
    calibration: Calibration,
    explain: Explain,
    levers: Levers,
    out: Outputs,
    explaining: bool,
) -> None:
    """Fill ``out`` for every row of ``values`` (inputs x rows; a categorical input holds
    1.0 where its value reads as typical) and ``categories`` (category slots x rows)."""
    codes = np.zeros((len(bins.slot_input), BLOCK), dtype=np.intp)
    where = np.zeros((len(bins.cut_start), BLOCK), dtype=np.intp)
    scores = np.zeros((len(terms.offset), BLOCK))
    replaced = np.zeros((len(explain.swap.term), BLOCK))
    fall = np.zeros((explain.swap.groups, BLOCK))
    lever_replaced = np.zeros((len(levers.swap.term), BLOCK))
    lever_fall = np.zeros((levers.swap.groups, BLOCK))
    moved = np.zeros((len(explain.overlap), BLOCK))
    alone = np.zeros((len(explain.pair_term), BLOCK))
    same = np.zeros((len(explain.feature), BLOCK), dtype=np.bool_)
    for start in range(0, values.shape[1], BLOCK):
        n = min(BLOCK, values.shape[1] - start)
        raw, probability = out.raw[start : start + n], out.probability[start : start + n]
        _encode(values, categories, bins, start, n, where, codes)
        _terms(terms, codes, n, scores, raw)
        for i in range(n):
            probability[i] = _probability(raw[i], calibration)
        if not explaining:
            continue
        _swap(terms.table, explain.swap, codes, scores, n, replaced, fall)
        _same(values, start, n, explain, same)
        _moved(start, n, out.raw, explain, scores, (replaced, fall), same, moved, alone)
        _reasons(start, n, calibration, explain, (moved, alone, fall), out)
        _swap(terms.table, levers.swap, codes, scores, n, lever_replaced, lever_fall)
        _what_ifs(values, start, n, calibration, levers, lever_fall, out)


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _probability(raw: float, calibration: Calibration) -> float:
    # The same operations as Calibration.probability: 1 / (1 + exp(-(slope * raw + b))).
    return 1.0 / (1.0 + np.exp(-(calibration[0] * raw + calibration[1])))  # type: ignore[no-any-return]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _encode(
    values: Floats, categories: Ints, bins: Bins, start: int, n: int, where: Ints, codes: Ints
) -> None:
    """The block's bin codes: one search per numeric input in the union of its levels' cut
    points (searchsorted, side right), then each slot's code from its map; missing is 0."""
    cuts, maps = bins.cuts, bins.maps
    for f in range(len(bins.cut_start)):
        first, count = bins.cut_start[f], bins.cut_count[f]
        if first < 0:
            continue
        for i in range(n):
            x = values[f, start + i]
            lo, m = 0, count
            while m > 0:
                half = m >> 1
                if cuts[first + lo + half] <= x:
                    lo, m = lo + half + 1, m - half - 1
                else:
                    m = half
            where[f, i] = lo if x == x else -1
    for s in range(len(bins.slot_input)):
        row, f, at = bins.slot_category[s], bins.slot_input[s], bins.slot_map[s]
        if row >= 0:
            for i in range(n):
                codes[s, i] = categories[row, start + i]
            continue
        for i in range(n):
            u = where[f, i]
            codes[s, i] = 0 if u < 0 else maps[at + u]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _terms(terms: Terms, codes: Ints, n: int, scores: Grid, raw: Floats) -> None:
    """Each term's score and the log-odds, ``intercept + (((0 + s_0) + s_1) + ...)``."""
    total, table = np.zeros(n), terms.table
    for t in range(len(terms.offset)):
        a, b, at = terms.first[t], terms.second[t], terms.offset[t]
        stride_a, stride_b = terms.stride_first[t], terms.stride_second[t]
        for i in range(n):
            # Through a local: arrays may alias, so a re-read would be a real load.
            score = table[at + codes[a, i] * stride_a + codes[b, i] * stride_b]
            scores[t, i] = score
            total[i] += score
    for i in range(n):
        raw[i] = terms.intercept + total[i]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _swap(
    table: Floats, swap: Swap, codes: Ints, scores: Grid, n: int, replaced: Grid, fall: Grid
) -> None:
    """Each group's fall in log-odds when its input takes the planned value, summed over its
    incidences in plan order (the other input of a pair keeps the row's own bin)."""
    fall[:, :n] = 0.0
    for r in range(len(swap.term)):
        at, other, stride = swap.constant[r], swap.other[r], swap.stride[r]
        t, g = swap.term[r], swap.owner[r]
        for i in range(n):
            score = table[at + codes[other, i] * stride]
            replaced[r, i] = score
            fall[g, i] += scores[t, i] - score


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _same(values: Floats, start: int, n: int, explain: Explain, same: Flags) -> None:
    """Which explained inputs of the block read as their typical value (never a reason)."""
    for e in range(len(explain.feature)):
        f, lo, hi, hole = explain.feature[e], explain.lo[e], explain.hi[e], explain.hole[e]
        missing = explain.missing[e]
        for i in range(n):
            x = values[f, start + i]
            same[e, i] = (lo <= x <= hi and x != hole) or (missing and x != x)


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _moved(
    start: int,
    n: int,
    raw: Floats,
    explain: Explain,
    scores: Grid,
    typical: tuple[Grid, Grid],
    same: Flags,
    moved: Grid,
    alone: Grid,
) -> None:
    """Per candidate: the log-odds with its inputs typical (+inf when one reads as typical,
    so never a reason); per pair: the log-odds without the interaction's own contrast."""
    replaced, fall = typical
    singles = len(explain.feature)
    for e in range(singles):
        for i in range(n):
            moved[e, i] = np.inf if same[e, i] else raw[start + i] - fall[e, i]
    for q in range(len(explain.pair_term)):
        a, b = explain.pair_inputs[q, 0], explain.pair_inputs[q, 1]
        row_a, row_b = explain.pair_rows[q, 0], explain.pair_rows[q, 1]
        t, both = explain.pair_term[q], explain.pair_both[q]
        for i in range(n):
            # The same additions, in the same order, as the NumPy kernel this replaced.
            contrast = both - replaced[row_a, i] - replaced[row_b, i] + scores[t, i]
            x = raw[start + i]
            joint = x - fall[a, i] - fall[b, i] + contrast
            moved[singles + q, i] = np.inf if same[a, i] or same[b, i] else joint
            alone[q, i] = x - contrast


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
def _reasons(
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
                if own > edge[i] or p - _probability(own, calibration) < floor:
                    continue
            found[kept] = p - _probability(moved[c, i], calibration)
            index[kept] = c
            kept += found[kept] >= floor
        c = _choose(
            explain.overlap, candidate, found, index, kept, (first, second, effect), start + i
        )
        lead[start + i] = candidate[c, 0] if c >= 0 else -1
        if c >= singles:  # of a pair, the input whose own effect is larger (first on a tie)
            a, b = explain.pair_inputs[c - singles, 0], explain.pair_inputs[c - singles, 1]
            own_a = p - _probability(raw[i] - fall[a, i], calibration)
            if p - _probability(raw[i] - fall[b, i], calibration) > own_a:
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


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _what_ifs(
    values: Floats,
    start: int,
    n: int,
    calibration: Calibration,
    levers: Levers,
    fall: Grid,
    out: Outputs,
) -> None:
    """Each lever's probability where it applies and moves the estimate at all."""
    raw, probability, what_if = out.raw, out.probability, out.what_if
    for m in range(len(levers.feature)):
        f, target, below, g = levers.feature[m], levers.target[m], levers.below[m], levers.group[m]
        for i in range(start, start + n):
            x = values[f, i]
            if x < target if below else x > target:
                after = _probability(raw[i] - fall[g, i - start], calibration)
                if after != probability[i]:
                    what_if[m, i] = after
