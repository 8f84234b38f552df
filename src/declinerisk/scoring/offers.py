"""What a recruiter sees for each offer of a request, from the kernel's arrays.

The file scorer writes its words column-wise (:meth:`ReasonWriter.table`); a request needs one
:class:`ScoredOffer` per offer. They are built here from the kernel's arrays turned into
Python lists once (indexing a NumPy array per value cost more than the rest of the offer), with
every value's words rendered once per distinct value, every action once per (input, band):
requests repeat them far more often than they bring new ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from declinerisk.data import schema
from declinerisk.data.features import FeatureSet
from declinerisk.explain.reasons import Reason, ReasonWriter, WhatIf
from declinerisk.explain.values import render_value
from declinerisk.scoring.kernel import NONE, TOP, KernelResult, LeverPlan
from declinerisk.scoring.predictor import ScoredOffer

# Distinct values remembered per writer; unseen categories are unbounded, so it starts over.
WORDS_CACHE = 50_000


class OfferWriter:
    """Builds :class:`ScoredOffer` objects for records scored by one kernel."""

    def __init__(
        self, features: FeatureSet, writer: ReasonWriter, levers: Sequence[LeverPlan], version: str
    ) -> None:
        self.features = features
        self.writer = writer
        self.version = version
        self._names = features.names
        self._levers = [(features.names[lp.feature], lp.lever.action) for lp in levers]
        self._typical = [writer.typical_text(f) for f in range(len(features.names))]
        self._words: dict[tuple[int, type, Any], str] = {}
        self._actions: dict[tuple[int, str], str] = {}
        # The names and typical values of every (input, input or none) a reason can name.
        self._named = {
            (j, k): (
                tuple(self._names[f] for f in inputs),
                tuple(self._typical[f] for f in inputs),
            )
            for j in range(len(self._names))
            for k in (NONE, *range(len(self._names)))
            for inputs in [(j,) if k == NONE else (j, k)]
        }
        # A missing input is worth a warning unless it is an optional signal (often blank).
        self._notes = [
            (c.name, f"{c.name}: not given, scored as not recorded")
            for c in features.columns
            if c.role is not schema.Role.OPTIONAL
        ]

    def offers(
        self, result: KernelResult, records: Sequence[Mapping[str, Any]]
    ) -> list[ScoredOffer]:
        probability, band = result.probability.tolist(), result.band.tolist()
        first, second = result.first.T.tolist(), result.second.T.tolist()
        effect, lead = result.effect.T.tolist(), result.lead.tolist()
        what_if, unseen = result.what_if.T.tolist(), self._unseen(result)
        return [
            ScoredOffer(
                offer_id=str(record[schema.ID_COLUMN]),
                decline_probability=probability[i],
                risk_band=band[i],
                reasons=self._reasons(record, first[i], second[i], effect[i]),
                action=self._action(lead[i], band[i]),
                what_ifs=[
                    WhatIf(name, action, p)
                    for (name, action), p in zip(self._levers, what_if[i], strict=True)
                    if not math.isnan(p)
                ],
                model_version=self.version,
                warnings=self._warnings(record, unseen.get(i, [])),
            )
            for i, record in enumerate(records)
        ]

    def _reasons(
        self,
        record: Mapping[str, Any],
        first: list[int],
        second: list[int],
        effect: list[float],
    ) -> list[Reason]:
        found = []
        names, said = self._names, self._said
        for rank in range(TOP):
            j, k = first[rank], second[rank]
            if j == NONE:
                break
            columns, typical = self._named[j, k]
            value = said(j, record.get(names[j]))
            if k == NONE:
                values: tuple[str, ...] = (value,)
                sentence = self.writer.sentence(j, value)
            else:
                other = said(k, record.get(names[k]))
                values = (value, other)
                sentence = self.writer.sentence(j, value, k, other)
            found.append(Reason(columns, values, typical, effect[rank], sentence))
        return found

    def _unseen(self, result: KernelResult) -> dict[int, list[str]]:
        """Warnings for categories never seen in training, by row (most rows have none)."""
        found: dict[int, list[str]] = {}
        for j, i in zip(*result.unseen.nonzero(), strict=True):
            found.setdefault(int(i), []).append(
                f"{self._names[j]}: value not seen in training, scored as an unknown category"
            )
        return found

    def _said(self, j: int, value: Any) -> str:
        """Input ``j``'s value in words, as the kernel read it (see ``Kernel.score_records``)."""
        key = (j, value.__class__, value)  # 1, 1.0 and True are equal keys, not equal words
        words = self._words.get(key)
        if words is None:
            if len(self._words) >= WORDS_CACHE:
                self._words.clear()
            column = self.features.columns[j]
            typed: float | str | None
            if column.is_numeric:
                typed = math.nan if value is None else float(value)
            else:
                typed = None if value is None else str(value).strip() or None
            words = self._words[key] = render_value(column, typed)
        return words

    def _action(self, lead: int, band: str) -> str:
        key = (lead, band)
        action = self._actions.get(key)
        if action is None:
            action = self._actions[key] = self.writer.action(lead, band)
        return action

    def _warnings(self, record: Mapping[str, Any], unseen: list[str]) -> list[str]:
        # Missing as the kernel reads a record's value: None, NaN (x != x) or blank text.
        return unseen + [
            note
            for name, note in self._notes
            if (v := record.get(name)) is None or v != v or (isinstance(v, str) and not v.strip())
        ]
