"""The scoring kernel: validated columns in; probabilities, bands, reasons and what-ifs out.

Every entry point (the service, the file scorer, the MLflow pyfunc) calls :meth:`Kernel.score`,
for one row or a million, so they cannot disagree. All numbers come from the compiled term
tables of the shipped model (:mod:`declinerisk.explain.terms`) in one pass:

* the probability shown, ``p = calibration(log-odds)``;
* each input's effect, ``p - p(the offer with that input set to its typical value)``, exact,
  in points of the calibrated probability; the typical value is the one the sentence names;
* for each pair the model learned (an interaction term), the joint effect of setting both
  inputs to typical; a pair is a candidate reason only when the interaction itself raises the
  probability by the floor, otherwise its inputs speak for themselves;
* reasons: the strongest candidates that raise risk by at least the playbook's floor and whose
  value differs from typical, at most three, no input named twice; an offer may have none;
* what-ifs: for each lever in the playbook (an input a recruiter can change), the probability
  after the change, when the change applies to the offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.data.features import FeatureSet
from declinerisk.explain.actions import Lever, Playbook
from declinerisk.explain.terms import Scores, TermTables
from declinerisk.explain.values import reads_as, render_value
from declinerisk.modeling.bands import RiskBands
from declinerisk.modeling.glassbox import Calibration, GlassboxModel

Array = NDArray[np.float64]
TOP = 3
# Rows scored at once: keeps every temporary array in cache whatever the file size.
BLOCK = 8192
NONE = -1


@dataclass(frozen=True)
class LeverPlan:
    """A lever the model can evaluate: its input, its target value and when it applies."""

    feature: int
    lever: Lever
    target: float


@dataclass(frozen=True)
class KernelResult:
    """Arrays over rows. Reason ``r`` of row ``i`` names input ``first[r, i]`` (and, for a
    pair, ``second[r, i]``); ``NONE`` where the row has fewer reasons."""

    raw: Array
    probability: Array
    band: NDArray[np.str_]
    first: NDArray[np.intp]  # TOP x rows
    second: NDArray[np.intp]  # TOP x rows
    effect: Array  # TOP x rows, NaN where no reason
    lead: NDArray[np.intp]  # the input whose action fits, NONE without a reason
    what_if: Array  # levers x rows, NaN where the lever does not apply
    unseen: NDArray[np.bool_]  # inputs x rows: a category never seen in training

    def __len__(self) -> int:
        return len(self.probability)


class Kernel:
    """One shipped model, compiled for scoring, with its typical values, bands and playbook."""

    def __init__(
        self,
        model: GlassboxModel,
        features: FeatureSet,
        typical: Mapping[str, Any],
        bands: RiskBands,
        playbook: Playbook,
    ) -> None:
        self.tables = TermTables(model.ebm)
        if list(self.tables.features) != features.names:
            raise ValueError("the model's inputs differ from its feature set")
        self.features = features
        self.calibration: Calibration = model.calibration
        self.bands = bands
        self.floor = playbook.effect_floor
        self.typical = {
            j: typical[name]
            for j, name in enumerate(features.names)
            if typical.get(name) is not None
        }
        self._typical_plan = self.tables.plan(self.typical)
        self._explained = np.asarray(self._typical_plan.inputs, dtype=np.intp)
        self.levers = self._lever_plans(playbook)
        self._lever_plan = self.tables.plan({lp.feature: lp.target for lp in self.levers})
        self._pairs = self._pair_plan()
        self._candidates = [(int(j), NONE) for j in self._explained] + [
            (j, k) for _, j, k, *_ in self._pairs
        ]
        inputs = [set(c) - {NONE} for c in self._candidates]
        self._overlap = np.asarray([[bool(a & b) for b in inputs] for a in inputs], dtype=bool)
        self._candidate_inputs = np.asarray(self._candidates, dtype=np.intp).reshape(-1, 2)
        # Everything the per-block code needs, as arrays, built once.
        row_of = {int(f): i for i, f in enumerate(self._explained)}
        self._row_of = np.full(len(features.names), NONE, dtype=np.intp)
        self._row_of[self._explained] = np.arange(len(self._explained))
        if self._pairs:
            t, j, k, rj, rk, both = zip(*self._pairs, strict=True)
            self._pair_terms = np.asarray(t, dtype=np.intp)
            self._pair_rows = (
                np.asarray([row_of[f] for f in j], dtype=np.intp),
                np.asarray([row_of[f] for f in k], dtype=np.intp),
            )
            self._pair_incidences = (np.asarray(rj, np.intp), np.asarray(rk, np.intp))
            self._pair_both = np.asarray(both, dtype=np.float64)[:, None]
        names = features.names
        self._typical_texts = [
            (
                row_of[int(j)],
                features.columns[j],
                render_value(features.columns[j], self.typical[j]),
            )
            for j in self._explained
        ]
        self._lever_names = [names[lp.feature] for lp in self.levers]
        self._lever_targets = np.asarray([lp.target for lp in self.levers])[:, None]
        self._lever_below = np.asarray([lp.lever.applies == "below" for lp in self.levers])[:, None]
        order = {f: i for i, f in enumerate(self._lever_plan.inputs)}
        self._lever_rows = np.asarray([order[lp.feature] for lp in self.levers], dtype=np.intp)

    def _lever_plans(self, playbook: Playbook) -> list[LeverPlan]:
        plans = []
        for name, lever in playbook.levers.items():
            if name not in self.features.names:
                continue
            j = self.features.names.index(name)
            target = self.typical.get(j) if lever.to == "typical" else lever.to
            if target is not None:
                plans.append(LeverPlan(j, lever, float(target)))
        return plans

    def _pair_plan(self) -> list[tuple[int, int, int, int, int, float]]:
        """Per pair term with both inputs explained: (term, j, k, incidence of j, of k,
        the term's score with both at typical)."""
        where = {key: r for r, key in enumerate(self._typical_plan.incidences)}
        pairs = []
        for t in self.tables.pairs:
            j, k = self.tables.term_features[t]
            if j in self.typical and k in self.typical:
                both = self.tables.score_of(t, (self.typical[j], self.typical[k]))
                pairs.append((t, j, k, where[(t, 0)], where[(t, 1)], both))
        return pairs

    def probability(self, raw: Array) -> Array:
        return self.calibration.probability(raw)

    def score(
        self, columns: Mapping[str, np.ndarray], rows: int, *, explain: bool = True
    ) -> KernelResult:
        """Score ``rows`` offers given as one array per input (validated by the contract).

        Without ``explain``, only probabilities, bands and unseen categories are computed;
        reasons, actions and what-ifs are left empty (``NONE``/NaN).
        """
        if rows <= BLOCK:
            return self._score_block(columns, rows, explain)
        parts = [
            self._score_block(
                {n: v[start : start + BLOCK] for n, v in columns.items()},
                min(BLOCK, rows - start),
                explain,
            )
            for start in range(0, rows, BLOCK)
        ]
        return KernelResult(
            *(np.concatenate([getattr(p, f) for p in parts], axis=-1) for f in _FIELDS)
        )

    def _score_block(
        self, columns: Mapping[str, np.ndarray], rows: int, explain: bool
    ) -> KernelResult:
        scores = self.tables.scores(columns, rows)
        p = self.probability(scores.raw)
        if not explain:
            return KernelResult(
                raw=scores.raw,
                probability=p,
                band=self.bands.bands(p, raw=scores.raw),
                first=np.full((TOP, rows), NONE, dtype=np.intp),
                second=np.full((TOP, rows), NONE, dtype=np.intp),
                effect=np.full((TOP, rows), np.nan),
                lead=np.full(rows, NONE, dtype=np.intp),
                what_if=np.full((len(self.levers), rows), np.nan),
                unseen=self.tables.unseen(scores),
            )
        effects, single = self._effects(scores, p, columns)
        first, second, effect = self._choose(effects)
        return KernelResult(
            raw=scores.raw,
            probability=p,
            band=self.bands.bands(p, raw=scores.raw),
            first=first,
            second=second,
            effect=effect,
            lead=self._lead(first, second, single),
            what_if=self._what_ifs(scores, p, columns),
            unseen=self.tables.unseen(scores),
        )

    def _effects(
        self, scores: Scores, p: Array, columns: Mapping[str, np.ndarray]
    ) -> tuple[Array, Array]:
        """Candidates x rows: each candidate's effect, -inf where it cannot be a reason; and
        the single inputs' effects (explained inputs x rows)."""
        sub = self.tables.substitute(scores, self._typical_plan)
        raw = scores.raw
        single = p - self.probability(raw - sub.delta)
        same = self._same_as_typical(columns, len(raw))
        out = [np.where((single >= self.floor) & ~same, single, -np.inf)]
        if self._pairs:
            sj, sk = self._pair_rows
            rj, rk = self._pair_incidences
            own = scores.terms[self._pair_terms]
            contrast = self._pair_both - sub.replaced[rj] - sub.replaced[rk] + own
            joint = p - self.probability(raw - sub.delta[sj] - sub.delta[sk] + contrast)
            interaction = p - self.probability(raw - contrast)
            ok = (interaction >= self.floor) & (joint >= self.floor) & ~same[sj] & ~same[sk]
            out.append(np.where(ok, joint, -np.inf))
        return np.concatenate(out), single

    def _same_as_typical(self, columns: Mapping[str, np.ndarray], rows: int) -> NDArray[np.bool_]:
        """Explained inputs x rows: the value reads as the typical value, in the words a
        reason would use (so it is never a reason)."""
        same = np.zeros((len(self._explained), rows), dtype=bool)
        for row, column, typical in self._typical_texts:
            same[row] = reads_as(column, columns[column.name], typical)
        return same

    def _choose(self, effects: Array) -> tuple[NDArray[np.intp], NDArray[np.intp], Array]:
        """The strongest candidates, greedily, no input named twice; at most ``TOP``."""
        rows = effects.shape[1]
        candidates = self._candidate_inputs
        first = np.full((TOP, rows), NONE, dtype=np.intp)
        second = np.full((TOP, rows), NONE, dtype=np.intp)
        effect = np.full((TOP, rows), np.nan)
        if not len(candidates):
            return first, second, effect
        everyone = np.arange(rows)
        for rank in range(TOP):
            best = effects.argmax(axis=0)
            value = effects[best, everyone]
            found = np.isfinite(value)
            first[rank, found] = candidates[best[found], 0]
            second[rank, found] = candidates[best[found], 1]
            effect[rank, found] = value[found]
            effects = np.where(self._overlap[best].T & found, -np.inf, effects)
        return first, second, effect

    def _lead(
        self, first: NDArray[np.intp], second: NDArray[np.intp], single: Array
    ) -> NDArray[np.intp]:
        """The input whose action fits: the leading reason's (of a pair, the stronger one)."""
        lead: NDArray[np.intp] = first[0].copy()
        rows = np.flatnonzero(second[0] != NONE)
        if rows.size:
            a, b = self._row_of[first[0, rows]], self._row_of[second[0, rows]]
            stronger = single[b, rows] > single[a, rows]
            lead[rows] = np.where(stronger, second[0, rows], first[0, rows])
        return lead

    def _what_ifs(self, scores: Scores, p: Array, columns: Mapping[str, np.ndarray]) -> Array:
        """Levers x rows: the probability after each lever's change, NaN where it does not
        apply (the value is missing, or already at or past the target) or changes nothing."""
        if not self.levers:
            return np.empty((0, len(scores)))
        sub = self.tables.substitute(scores, self._lever_plan)
        x = np.vstack([np.asarray(columns[n], dtype=np.float64) for n in self._lever_names])
        applies = np.where(self._lever_below, x < self._lever_targets, x > self._lever_targets)
        after = self.probability(scores.raw - sub.delta[self._lever_rows])
        # A change that moves the model's estimate not at all ("41% -> 41%") is not shown.
        return np.asarray(np.where(applies & (after != p), after, np.nan))


_FIELDS = ("raw", "probability", "band", "first", "second", "effect", "lead", "what_if", "unseen")
