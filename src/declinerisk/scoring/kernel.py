"""The scoring kernel: validated columns in; probabilities, bands, reasons and what-ifs out.

Every entry point (the service, the file scorer, the MLflow pyfunc) calls :meth:`Kernel.score`,
for one row or a million, so they cannot disagree. All numbers come from the compiled term
tables of the shipped model (:mod:`declinerisk.explain.terms`) in one pass per row
(:mod:`declinerisk.scoring.compiled`):

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from declinerisk.data.features import FeatureSet
from declinerisk.explain import layouts
from declinerisk.explain.actions import Lever, Playbook
from declinerisk.explain.terms import Plan, TermTables
from declinerisk.explain.values import Reading, reading_of, render_value
from declinerisk.modeling.bands import HIGH, LOW, MEDIUM, NAMES, RiskBands
from declinerisk.modeling.glassbox import Calibration, GlassboxModel
from declinerisk.scoring import compiled
from declinerisk.scoring.column_inputs import ColumnReader, InputPlan
from declinerisk.scoring.record_inputs import RecordReader

Array = NDArray[np.float64]
TOP = 3
NONE = -1
# A categorical input's row of the kernel's values holds 1.0 where it reads as typical.
SAME = Reading(1.0, 1.0)
# The bands in the order of ``KernelResult.band_code`` (``RiskBands.levels`` reversed).
BANDS = (HIGH, MEDIUM, LOW)


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
    band_code: NDArray[np.int8]  # the band's index in BANDS: words compare integers, not text
    first: NDArray[np.intp]  # TOP x rows
    second: NDArray[np.intp]  # TOP x rows
    effect: Array  # TOP x rows, NaN where no reason
    lead: NDArray[np.intp]  # the input whose action fits, NONE without a reason
    what_if: Array  # levers x rows, NaN where the lever does not apply
    unseen: NDArray[np.bool_]  # inputs x rows: a category never seen in training
    # Per categorical input: each row's index among its distinct values (-1 missing) and
    # those values, as factorised for scoring; the reasons table says them without hashing
    # every text again.
    keys: Mapping[int, tuple[NDArray[np.intp], list[Any]]]

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
        if not self.calibration.slope > 0:
            raise ValueError("the kernel's screen of effects needs a rising calibration")
        self.bands = bands
        self.floor = playbook.effect_floor
        self.typical = {
            j: typical[name]
            for j, name in enumerate(features.names)
            if typical.get(name) is not None
        }
        self.levers = self._lever_plans(playbook)
        self._bins, self._terms = self.tables.compiled()
        self._categories = self.tables.category_slots
        self._numeric = self._bins.cut_start >= 0
        self._typical_text = {
            j: render_value(features.columns[j], value) for j, value in self.typical.items()
        }
        self._explain = self._explain_layout(self.tables.plan(self.typical))
        self._lever_layout = self._levers_layout()
        # How offers become the compiled loop's inputs: a file's columns, a request's records.
        plan = InputPlan(
            features,
            self._numeric.tolist(),
            self._typical_text,
            [(j, self.tables.binnings[slot]) for j, slot in self._categories],
        )
        self._columns, self._records = ColumnReader(plan), RecordReader(plan)

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

    def _explain_layout(self, plan: Plan) -> layouts.Explain:
        """Candidates: each explained input alone, then each pair term with both explained,
        with what the compiled loop needs to tell a reason from typical."""
        explained = plan.inputs
        row_of = {f: e for e, f in enumerate(explained)}
        where = {key: r for r, key in enumerate(plan.incidences)}
        pairs = [
            (t, *self.tables.term_features[t])
            for t in self.tables.pairs
            if all(f in row_of for f in self.tables.term_features[t])
        ]
        readings = [
            reading_of(self.features.columns[f], self.typical[f]) if self._numeric[f] else SAME
            for f in explained
        ]
        candidates = [(f, NONE) for f in explained] + [(j, k) for _, j, k in pairs]
        named = [set(c) - {NONE} for c in candidates]
        return layouts.Explain(
            swap=_swap(plan),
            lo=np.asarray([r.lo for r in readings]),
            hi=np.asarray([r.hi for r in readings]),
            hole=np.asarray([r.hole for r in readings]),
            missing=np.asarray([r.missing for r in readings], dtype=bool),
            feature=np.asarray(explained, dtype=np.intp),
            pair_term=np.asarray([t for t, _, _ in pairs], dtype=np.intp),
            pair_rows=np.asarray(
                [(where[(t, 0)], where[(t, 1)]) for t, _, _ in pairs], dtype=np.intp
            ).reshape(-1, 2),
            pair_inputs=np.asarray(
                [(row_of[j], row_of[k]) for _, j, k in pairs], dtype=np.intp
            ).reshape(-1, 2),
            pair_both=np.asarray(
                [self.tables.score_of(t, (self.typical[j], self.typical[k])) for t, j, k in pairs]
            ),
            candidate=np.asarray(candidates, dtype=np.intp).reshape(-1, 2),
            overlap=np.asarray([[bool(a & b) for b in named] for a in named], dtype=bool).reshape(
                len(named), len(named)
            ),
            floor=float(self.floor),
        )

    def _levers_layout(self) -> layouts.Levers:
        plan = self.tables.plan({lp.feature: lp.target for lp in self.levers})
        return layouts.Levers(
            swap=_swap(plan),
            feature=np.asarray([lp.feature for lp in self.levers], dtype=np.intp),
            target=np.asarray([lp.target for lp in self.levers], dtype=np.float64),
            below=np.asarray([lp.lever.applies == "below" for lp in self.levers], dtype=bool),
            group=np.asarray([plan.inputs.index(lp.feature) for lp in self.levers], dtype=np.intp),
        )

    def probability(self, raw: Array) -> Array:
        return self.calibration.probability(raw)

    def score(
        self, columns: Mapping[str, np.ndarray], rows: int, *, explain: bool = True
    ) -> KernelResult:
        """Score ``rows`` offers given as one array per input (validated by the contract).

        Without ``explain``, only probabilities, bands and unseen categories are computed;
        reasons, actions and what-ifs are left empty (``NONE``/NaN).
        """
        values, categories, keys = self._columns.inputs(columns, rows)
        return self._scored(values, categories, rows, explain, keys)

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> KernelResult:
        """:meth:`score` for plain records typed by the contract (the service's requests).

        The same inputs, built row by row with dictionary look-ups: for a few rows, NumPy's
        cost per call (a factorisation and a table per category column) outweighs the work.
        The result has no factorised categories (``keys``): only the file's table uses them.
        """
        values, categories, unseen = self._records.inputs(records)
        return self._scored(values, categories, len(records), True, {}, unseen)

    def _scored(
        self,
        values: layouts.Columns,
        categories: Any,
        rows: int,
        explain: bool,
        keys: Mapping[int, tuple[NDArray[np.intp], list[Any]]],
        unseen: NDArray[np.bool_] | None = None,
    ) -> KernelResult:
        out = layouts.Outputs(
            raw=np.empty(rows),
            probability=np.empty(rows),
            first=_blank((TOP, rows), NONE, np.intp, explain),
            second=_blank((TOP, rows), NONE, np.intp, explain),
            effect=_blank((TOP, rows), np.nan, np.float64, explain),
            lead=_blank((rows,), NONE, np.intp, explain),
            what_if=_blank((len(self.levers), rows), np.nan, np.float64, explain),
        )
        calibration = (self.calibration.slope, self.calibration.intercept)
        compiled.score_rows(
            values,
            categories,
            self._bins,
            self._terms,
            calibration,
            self._explain,
            self._lever_layout,
            out,
            explain,
        )
        level = self.bands.levels(out.probability, raw=out.raw)  # 0 low, 1 medium, 2 high
        return KernelResult(
            raw=out.raw,
            probability=out.probability,
            band=NAMES[level],
            band_code=np.int8(len(BANDS) - 1) - level,
            first=out.first,
            second=out.second,
            effect=out.effect,
            lead=out.lead,
            what_if=out.what_if,
            unseen=self._columns.unseen(categories, rows) if unseen is None else unseen,
            keys=keys,
        )


def _blank(shape: tuple[int, ...], fill: float, dtype: type, explain: bool) -> np.ndarray:
    """An output array; explaining, the compiled loop writes every element (NONE/NaN where
    there is nothing), so filling it first would only be one more pass over the rows."""
    return np.empty(shape, dtype) if explain else np.full(shape, fill, dtype)


def _swap(plan: Plan) -> layouts.Swap:
    return layouts.Swap(
        plan.terms, plan.constant, plan.other, plan.stride, plan.owner_index, len(plan.inputs)
    )
