"""An explainable boosting machine's terms as flat lookup tables: exact and vectorised.

An EBM (InterpretML) predicts ``intercept_ + sum_t term_scores_[t][bin indices]`` in the
log-odds. Each term is one input (its shape function) or a pair of inputs (an interaction
surface); each input is binned by its cut points (numeric) or its category table (nominal),
one binning per interaction level, all in the public ``bins_``. Bin 0 holds missing values and
the last bin categories never seen in training.

:class:`TermTables` compiles those public attributes (``bins_``, ``term_features_``,
``term_scores_``, ``intercept_``) once into one flat score array. Scoring a row, and scoring it
again with some inputs set to other values (reasons and what-ifs), are then lookups in it: the
compiled kernel (:mod:`declinerisk.scoring.compiled`) reads the layout :meth:`TermTables.compiled`
gives, and :meth:`TermTables.scores` is the plain NumPy reference the tests compare with the
library's own ``eval_terms``; the canary at model load checks ``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.explain import layouts
from declinerisk.explain.binning import Binning, Codes

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    """Every term's score for every row, and the codes they were looked up with.

    Arrays are stored input-major (``codes[binning, row]``, ``terms[term, row]``) so that each
    gather and the sum over terms run over contiguous memory.
    """

    codes: Codes  # binnings x rows
    terms: Array  # terms x rows
    raw: Array  # intercept + sum of terms: the log-odds, one per row

    def __len__(self) -> int:
        return len(self.raw)


@dataclass(frozen=True)
class Plan:
    """A substitution compiled once: which inputs take which fixed values.

    Row ``r`` of the plan is one incidence (a term and one of its inputs): the flat-table
    offset with that input's new bin, the binning slot and stride of the term's other input
    (none for a main effect), and which substituted input it belongs to.
    """

    inputs: tuple[int, ...]
    incidences: tuple[tuple[int, int], ...]
    terms: NDArray[np.intp]
    constant: NDArray[np.intp]
    other: NDArray[np.intp]
    stride: NDArray[np.intp]
    owner_index: NDArray[np.intp]  # for each incidence, the input it substitutes


class TermTables:
    """The compiled terms of one fitted EBM (binary classification)."""

    def __init__(self, ebm: Any) -> None:
        self.features: tuple[str, ...] = tuple(str(n) for n in ebm.feature_names_in_)
        self.intercept = float(np.ravel(ebm.intercept_)[0])
        self.term_features: tuple[tuple[int, ...], ...] = tuple(
            tuple(int(f) for f in t) for t in ebm.term_features_
        )
        if any(len(t) > 2 for t in self.term_features):
            raise TypeError("only main effects and pairwise interactions are supported")
        self.binnings: list[Binning] = []
        slot_of: dict[tuple[int, int], int] = {}
        offsets, first, second, stride_first, stride_second = [], [], [], [], []  # per term
        flat: list[Array] = []
        size = 0
        for t, features in enumerate(self.term_features):
            table = np.asarray(ebm.term_scores_[t], dtype=np.float64)
            if table.ndim != len(features):
                raise TypeError(f"term {t}: expected a {len(features)}-d score table")
            slots = [self._slot(ebm, f, len(features), slot_of) for f in features]
            for axis, slot in enumerate(slots):
                # Bin 0 is missing and the last bin unseen: the table must have exactly one
                # row per bin, or codes would land on the wrong scores.
                if table.shape[axis] != self.binnings[slot].unseen + 1:
                    raise TypeError(f"term {t}: its score table does not match its bins")
            offsets.append(size)
            first.append(slots[0])
            stride_first.append(table.shape[1] if table.ndim == 2 else 1)
            second.append(slots[-1])
            stride_second.append(1 if table.ndim == 2 else 0)
            flat.append(table.ravel())
            size += table.size
        self.table = np.concatenate(flat)
        self._offset = np.asarray(offsets, dtype=np.intp)
        self._first = np.asarray(first, dtype=np.intp)
        self._second = np.asarray(second, dtype=np.intp)
        self._stride_first = np.asarray(stride_first, dtype=np.intp)
        self._stride_second = np.asarray(stride_second, dtype=np.intp)
        self._slot_of = slot_of
        # One categorical binning per input is enough to tell an unseen value.
        nominal = {
            f: slot
            for (f, _), slot in slot_of.items()
            if self.binnings[slot].categories is not None
        }
        self._unseen_features = np.asarray(list(nominal), dtype=np.intp)
        self._unseen_slots = np.asarray(list(nominal.values()), dtype=np.intp)
        self._unseen_codes = np.asarray(
            [self.binnings[s].unseen for s in nominal.values()], dtype=np.intp
        )
        # Incidences: (term, position of the input in the term), grouped by input.
        self.incidences: tuple[tuple[int, int], ...] = tuple(
            (t, pos)
            for f in range(len(self.features))
            for t, features in enumerate(self.term_features)
            for pos, g in enumerate(features)
            if g == f
        )
        self.pairs: tuple[int, ...] = tuple(
            t for t, features in enumerate(self.term_features) if len(features) == 2
        )

    def _slot(self, ebm: Any, feature: int, level: int, slot_of: dict[tuple[int, int], int]) -> int:
        levels = ebm.bins_[feature]
        use = min(level, len(levels)) - 1
        key = (feature, use)
        if key not in slot_of:
            bins = levels[use]
            if isinstance(bins, dict):
                binning = Binning(None, {str(k): int(v) for k, v in bins.items()})
            else:
                binning = Binning(np.asarray(bins, dtype=np.float64), None)
            slot_of[key] = len(self.binnings)
            self.binnings.append(binning)
        return slot_of[key]

    def binning_of(self, term: int, position: int) -> tuple[int, Binning]:
        slot = int(self._first[term] if position == 0 else self._second[term])
        return slot, self.binnings[slot]

    def encode(self, columns: Mapping[str, np.ndarray], rows: int) -> Codes:
        """Binnings x rows: the bin of each input value at each level the terms use."""
        codes = np.empty((len(self.binnings), rows), dtype=np.intp)
        for (feature, _), slot in self._slot_of.items():
            codes[slot] = self.binnings[slot].codes(columns[self.features[feature]])
        return codes

    def scores(self, columns: Mapping[str, np.ndarray], rows: int) -> Scores:
        codes = self.encode(columns, rows)
        index = (
            self._offset[:, None]
            + codes[self._first] * self._stride_first[:, None]
            + codes[self._second] * self._stride_second[:, None]
        )
        terms = np.take(self.table, index)
        return Scores(codes, terms, self.intercept + _ordered_sum(terms))

    def plan(self, values: Mapping[int, Any]) -> Plan:
        """Compile a substitution of ``values`` (input index -> value) for the compiled kernel."""
        inputs = tuple(sorted(values))
        chosen = tuple(
            (t, pos) for t, pos in self.incidences if self.term_features[t][pos] in values
        )
        constant, other, stride, owner = [], [], [], []
        for t, pos in chosen:
            feature = self.term_features[t][pos]
            _, binning = self.binning_of(t, pos)
            own_stride = self._stride_first[t] if pos == 0 else self._stride_second[t]
            constant.append(self._offset[t] + binning.code(values[feature]) * own_stride)
            pair = len(self.term_features[t]) == 2
            other.append(self._second[t] if pos == 0 else self._first[t])
            stride.append(
                0 if not pair else self._stride_second[t] if pos == 0 else self._stride_first[t]
            )
            owner.append(inputs.index(feature))
        return Plan(
            inputs,
            chosen,
            np.asarray([t for t, _ in chosen], dtype=np.intp),
            np.asarray(constant, dtype=np.intp),
            np.asarray(other, dtype=np.intp),
            np.asarray(stride, dtype=np.intp),
            np.asarray(owner, dtype=np.intp),
        )

    def compiled(self) -> tuple[layouts.Bins, layouts.Terms]:
        """The binnings and terms as the compiled kernel reads them.

        Each numeric input is searched once, in the union of the cut points of all its
        levels: the position of a value there fixes its bin at every level (all of a level's
        cut points are in the union), read from one small map per slot. Categorical slots
        take their codes from :meth:`category_codes`, in the order of ``category_slots``.
        """
        slots = [self._input_of(s) for s in range(len(self.binnings))]
        unions: dict[int, Array] = {}
        starts, counts = [], []
        for f in range(len(self.features)):
            levels = [self.binnings[s].cuts for s in range(len(slots)) if slots[s] == f]
            numeric = [c for c in levels if c is not None]
            if len(numeric) < len(levels) or not levels:
                starts.append(-1)
                counts.append(0)
                continue
            unions[f] = np.unique(np.concatenate(numeric))
            starts.append(sum(len(u) for u in unions.values()) - len(unions[f]))
            counts.append(len(unions[f]))
        maps: list[Codes] = []
        map_at: list[int] = []
        for s, binning in enumerate(self.binnings):
            map_at.append(sum(len(m) for m in maps))
            if binning.cuts is not None:
                found = np.searchsorted(binning.cuts, unions[slots[s]], "right") + 1
                maps.append(np.concatenate([[1], found]).astype(np.intp))
        category_row = {slot: row for row, (_, slot) in enumerate(self.category_slots)}
        bins = layouts.Bins(
            cuts=np.concatenate([np.empty(0), *unions.values()]),
            cut_start=np.asarray(starts, dtype=np.intp),
            cut_count=np.asarray(counts, dtype=np.intp),
            slot_input=np.asarray(slots, dtype=np.intp),
            slot_category=np.asarray(
                [category_row.get(s, -1) for s in range(len(slots))], dtype=np.intp
            ),
            slot_map=np.asarray(map_at, dtype=np.intp),
            maps=np.concatenate([np.empty(0, dtype=np.intp), *maps]).astype(np.intp),
        )
        terms = layouts.Terms(
            self.table,
            self._offset,
            self._first,
            self._second,
            self._stride_first,
            self._stride_second,
            self.intercept,
        )
        return bins, terms

    def _input_of(self, slot: int) -> int:
        return next(f for (f, _), s in self._slot_of.items() if s == slot)

    @property
    def category_slots(self) -> list[tuple[int, int]]:
        """(input, slot) of every categorical binning, in slot order."""
        return [
            (self._input_of(s), s) for s, b in enumerate(self.binnings) if b.categories is not None
        ]

    def score_of(self, term: int, values: Sequence[Any]) -> float:
        """One term's score with each of its inputs at the given value."""
        index = int(self._offset[term])
        for pos, value in enumerate(values):
            _, binning = self.binning_of(term, pos)
            stride = self._stride_first[term] if pos == 0 else self._stride_second[term]
            index += binning.code(value) * int(stride)
        return float(self.table[index])

    def unseen(self, scores: Scores) -> NDArray[np.bool_]:
        """Inputs x rows: a categorical value never seen in training (always False for
        numbers)."""
        found = np.zeros((len(self.features), len(scores)), dtype=bool)
        if self._unseen_slots.size:
            found[self._unseen_features] = (
                scores.codes[self._unseen_slots] == self._unseen_codes[:, None]
            )
        return found


def _ordered_sum(terms: Array) -> Array:
    """The sum over terms (rows), added one term at a time in term order.

    NumPy's ``sum(axis=0)`` adds in a different order for one column than for many, which
    moved the last digit of a probability with the size of the request; a fixed order gives
    every offer the same log-odds to the bit, alone or among a million. One offer is added
    in Python floats: the same IEEE additions in the same order, without NumPy's per-call cost.
    """
    if terms.shape[1] == 1:
        one = 0.0
        for value in terms[:, 0].tolist():
            one += value
        return np.asarray([one])
    total = np.zeros(terms.shape[1])
    for row in terms:
        total += row
    return total
