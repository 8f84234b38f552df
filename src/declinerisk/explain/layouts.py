"""The flat arrays the compiled kernel (:mod:`declinerisk.scoring.compiled`) reads, per model.

Plain named tuples of NumPy arrays, so numba compiles against them and the kernel
(:mod:`declinerisk.scoring.kernel`) and the term tables (:mod:`declinerisk.explain.terms`)
build them once per model, in Python, where the model's structure is easy to read.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Flags = NDArray[np.bool_]
Grid = NDArray[np.float64]  # items x block rows
Calibration = tuple[float, float]  # slope, intercept
# One read-only array per input, all of one type: numba compiles a tuple of them once per
# number of inputs, and reads the caller's own columns without copying them into one block.
Columns = tuple[Floats, ...]


class Bins(NamedTuple):
    """How each row's inputs become bin codes, one code per binning slot."""

    cuts: Floats  # the union of every level's cut points, per numeric input, concatenated
    cut_start: Ints  # per input: where its cut points start; -1 for a categorical input
    cut_count: Ints  # per input: how many
    slot_input: Ints  # per slot: its input
    slot_category: Ints  # per slot: its row of the category codes; -1 for a numeric slot
    slot_map: Ints  # per numeric slot: where its map from union position to code starts
    maps: Ints  # union position (cut points <= x) -> the slot's bin code


class Terms(NamedTuple):
    """Every term's scores in one flat table; term t's score is at
    ``offset[t] + code[first[t]] * stride_first[t] + code[second[t]] * stride_second[t]``."""

    table: Floats
    offset: Ints
    first: Ints
    second: Ints
    stride_first: Ints
    stride_second: Ints
    intercept: float


class Swap(NamedTuple):
    """A compiled substitution (see :class:`declinerisk.explain.terms.Plan`)."""

    term: Ints
    constant: Ints
    other: Ints
    stride: Ints
    owner: Ints
    groups: int


class Explain(NamedTuple):
    """Candidates for reasons: each explained input alone (in order), then each pair term."""

    swap: Swap  # every explained input set to its typical value
    lo: Floats  # an explained input's value reads as typical when lo <= x <= hi,
    hi: Floats  # x != hole, or x is missing and ``missing`` says so
    hole: Floats
    missing: Flags
    feature: Ints  # explained input -> input
    pair_term: Ints
    pair_rows: Ints  # pairs x 2: the incidences of the pair's two inputs in ``swap``
    pair_inputs: Ints  # pairs x 2: the pair's two explained inputs
    pair_both: Floats  # the pair term's score with both inputs typical
    candidate: Ints  # candidates x 2: the inputs named; -1 for a single input's second
    overlap: NDArray[np.bool_]  # candidates x candidates: they share an input
    floor: float


class Levers(NamedTuple):
    swap: Swap  # every lever's input set to its target
    feature: Ints
    target: Floats
    below: Flags  # the lever applies below its target (else above)
    group: Ints  # the lever's input's group in ``swap``


class Outputs(NamedTuple):
    raw: Floats
    probability: Floats
    first: Ints  # TOP x rows
    second: Ints
    effect: Floats
    lead: Ints
    what_if: Floats  # levers x rows
