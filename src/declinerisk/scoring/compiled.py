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
  cannot rule out (see :mod:`declinerisk.scoring.compiled_reasons`);

so a row's numbers do not depend on the block it is in, or on how many rows are scored.

The layouts (:mod:`declinerisk.explain.layouts`) are tuples of arrays built once per model.
Functions are compiled on first use and cached on disk (``cache=True``); the model's canary
check at load is that first use, so a service never compiles on a request. ``nogil``: the
service's threads score concurrently.
"""

from __future__ import annotations

import os

# Intel's vectorised maths (SVML), when installed, would give ``exp`` in vectorised loop bodies
# other last bits than in their scalar remainders: one offer and a batch must agree exactly.
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import numba
import numpy as np

from declinerisk.explain.layouts import (
    Bins,
    Calibration,
    Columns,
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
from declinerisk.scoring.compiled_reasons import reasons, to_probability

# Rows per block: the block's scratch (terms, incidences, candidates x rows) stays in cache.
BLOCK = 256


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def score_rows(
    values: Columns,
    categories: Ints,
    bins: Bins,
    terms: Terms,
    calibration: Calibration,
    explain: Explain,
    levers: Levers,
    out: Outputs,
    explaining: bool,
) -> None:
    """Fill ``out`` for every row of ``values`` (one array per input; a categorical input
    holds 1.0 where its value reads as typical) and ``categories`` (category slots x rows)."""
    rows = len(out.raw)
    # Scratch as wide as the rows when fewer than a block: one offer (a request) must not
    # allocate and clear a block's worth (hundreds of kilobytes) on every call.
    width = min(BLOCK, rows)
    codes = np.zeros((len(bins.slot_input), width), dtype=np.intp)
    where = np.zeros((len(bins.cut_start), width), dtype=np.intp)
    scores = np.zeros((len(terms.offset), width))
    replaced = np.zeros((len(explain.swap.term), width))
    fall = np.zeros((explain.swap.groups, width))
    lever_replaced = np.zeros((len(levers.swap.term), width))
    lever_fall = np.zeros((levers.swap.groups, width))
    moved = np.zeros((len(explain.overlap), width))
    alone = np.zeros((len(explain.pair_term), width))
    same = np.zeros((len(explain.feature), width), dtype=np.bool_)
    for start in range(0, rows, BLOCK):
        n = min(BLOCK, rows - start)
        raw, probability = out.raw[start : start + n], out.probability[start : start + n]
        _encode(values, categories, bins, start, n, where, codes)
        _terms(terms, codes, n, scores, raw)
        for i in range(n):
            probability[i] = to_probability(raw[i], calibration)
        if not explaining:
            continue
        _swap(terms.table, explain.swap, codes, scores, n, replaced, fall)
        _same(values, start, n, explain, same)
        _moved(start, n, out.raw, explain, scores, (replaced, fall), same, moved, alone)
        reasons(start, n, calibration, explain, (moved, alone, fall), out)
        _swap(terms.table, levers.swap, codes, scores, n, lever_replaced, lever_fall)
        _what_ifs(values, start, n, calibration, levers, lever_fall, out)


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _encode(
    values: Columns, categories: Ints, bins: Bins, start: int, n: int, where: Ints, codes: Ints
) -> None:
    """The block's bin codes: one search per numeric input in the union of its levels' cut
    points (searchsorted, side right: how many cut points are <= x), then each slot's code
    from its map; missing is 0.

    The search halves the same span for every row, so it runs step by step over the block's
    rows with a select instead of a branch: a branch per step went the wrong way half the
    time on real values (~10 mispredictions per search), which made this the loop's slowest
    part."""
    cuts, maps = bins.cuts, bins.maps
    for f in range(len(bins.cut_start)):
        first, count = bins.cut_start[f], bins.cut_count[f]
        if first < 0:
            continue
        x_f = values[f][start : start + n]
        if count == 0:
            for i in range(n):
                x = x_f[i]
                where[f, i] = 0 if x == x else -1
            continue
        for i in range(n):
            where[f, i] = first
        m = count
        while m > 1:  # invariant: the answer is in [where - first, where - first + m]
            half = m >> 1
            for i in range(n):
                at = where[f, i]
                where[f, i] = at + half if cuts[at + half] <= x_f[i] else at
            m -= half
        for i in range(n):
            x = x_f[i]
            at = where[f, i]
            where[f, i] = at - first + (cuts[at] <= x) if x == x else -1
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
def _same(values: Columns, start: int, n: int, explain: Explain, same: Flags) -> None:
    """Which explained inputs of the block read as their typical value (never a reason)."""
    for e in range(len(explain.feature)):
        f, lo, hi, hole = explain.feature[e], explain.lo[e], explain.hi[e], explain.hole[e]
        missing, x_f = explain.missing[e], values[f][start : start + n]
        for i in range(n):
            x = x_f[i]
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


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _what_ifs(
    values: Columns,
    start: int,
    n: int,
    calibration: Calibration,
    levers: Levers,
    fall: Grid,
    out: Outputs,
) -> None:
    """Each lever's probability where it applies and moves the estimate at all, else NaN
    (every element is written: the kernel does not pre-fill what it explains)."""
    raw, probability, what_if = out.raw, out.probability, out.what_if
    for m in range(len(levers.feature)):
        f, target, below, g = levers.feature[m], levers.target[m], levers.below[m], levers.group[m]
        x_f = values[f]
        for i in range(start, start + n):
            x = x_f[i]
            after = np.nan
            if x < target if below else x > target:
                after = to_probability(raw[i] - fall[g, i - start], calibration)
            what_if[m, i] = after if after != probability[i] else np.nan
