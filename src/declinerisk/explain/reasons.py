"""Plain-language reasons, actions and what-ifs from the kernel's numbers.

The kernel (:mod:`declinerisk.scoring.kernel`) decides which inputs are reasons and by how much each
raises the probability; this module only says it in words: the candidate's value, the typical
value the effect was measured against, a sentence from the playbook, the action that fits and
each lever's estimate. Rendering is cached per distinct value, so a million rows cost a few
thousand string formats, not millions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from declinerisk.data.features import FeatureSet
from declinerisk.explain.actions import Playbook
from declinerisk.explain.values import NOT_RECORDED, render_value
from declinerisk.scoring.kernel import NONE, TOP, KernelResult

__all__ = ["NOT_RECORDED", "Reason", "ReasonWriter", "WhatIf", "render_value"]

JOIN = " & "
SENTENCE_CACHE = 50_000


@dataclass(frozen=True)
class Reason:
    """One input (or a pair the model learned together) that raises this offer's risk.

    ``effect`` is in probability points: the probability shown minus the probability with
    ``columns`` set to ``typical``.
    """

    columns: tuple[str, ...]
    values: tuple[str, ...]
    typical: tuple[str, ...]
    effect: float
    sentence: str


@dataclass(frozen=True)
class WhatIf:
    """The model's estimate after one action a recruiter can take (not a promise)."""

    column: str
    action: str
    probability: float


class ReasonWriter:
    """Says the kernel's reasons, actions and what-ifs in the playbook's words."""

    def __init__(
        self, features: FeatureSet, typical: Mapping[str, Any], playbook: Playbook
    ) -> None:
        self.features = features
        self.playbook = playbook
        self._typical = [render_value(c, typical.get(c.name)) for c in features.columns]
        self._labels = [c.label.capitalize() for c in features.columns]
        self._sentences: dict[tuple[int, int, str, str], str] = {}
        # The column and typical texts of every (input, input or none) candidate, indexed by
        # (first + 1) * size + second + 1; index 0 (no reason) holds None.
        names = [None, *features.names]
        typical_texts = [None, *self._typical]
        self._size = len(names)
        self._labels_of = np.full(self._size * self._size, None, dtype=object)
        self._typical_of = np.full(self._size * self._size, None, dtype=object)
        for a in range(1, self._size):
            self._labels_of[a * self._size] = names[a]
            self._typical_of[a * self._size] = typical_texts[a]
            for b in range(1, self._size):
                self._labels_of[a * self._size + b] = f"{names[a]}{JOIN}{names[b]}"
                self._typical_of[a * self._size + b] = f"{typical_texts[a]}{JOIN}{typical_texts[b]}"

    def sentence(self, j: int, value: str, k: int = NONE, other: str = "") -> str:
        """The sentence of input ``j`` at ``value`` (with input ``k`` at ``other``: a pair)."""
        key = (j, k, value, other)
        if key not in self._sentences:
            if len(self._sentences) >= SENTENCE_CACHE:
                # Unseen categories and pair combinations are unbounded: start over rather
                # than let a long-running service grow without limit.
                self._sentences.clear()
            self._sentences[key] = self._say(j, value, k, other)
        return self._sentences[key]

    def _say(self, j: int, value: str, k: int, other: str) -> str:
        if k != NONE:
            return self.playbook.pair.sentence.format(
                first_label=self._labels[j],
                first_value=value,
                first_typical=self._typical[j],
                second_label=self.features.columns[k].label,
                second_value=other,
                second_typical=self._typical[k],
            )
        template = (
            self.playbook.missing.sentence
            if value == NOT_RECORDED
            else self.playbook.wording(self.features.names[j]).sentence
        )
        return template.format(label=self._labels[j], value=value, typical=self._typical[j])

    def action(self, lead: int, band: str) -> str:
        return self.playbook.action_for(None if lead == NONE else self.features.names[lead], band)

    # One offer (the service) --------------------------------------------------------------

    def reasons_of(
        self, result: KernelResult, i: int, columns: Mapping[str, np.ndarray]
    ) -> list[Reason]:
        """Row ``i``'s reasons, its values read from the same arrays the kernel scored."""
        found = []
        for rank in range(TOP):
            j, k = int(result.first[rank, i]), int(result.second[rank, i])
            if j == NONE:
                break
            inputs = (j,) if k == NONE else (j, k)
            values = tuple(
                render_value(self.features.columns[f], columns[self.features.names[f]][i])
                for f in inputs
            )
            found.append(
                Reason(
                    columns=tuple(self.features.names[f] for f in inputs),
                    values=values,
                    typical=tuple(self._typical[f] for f in inputs),
                    effect=float(result.effect[rank, i]),
                    sentence=self.sentence(j, values[0], k, values[-1] if k != NONE else ""),
                )
            )
        return found

    def what_ifs_of(self, result: KernelResult, i: int, levers: list[Any]) -> list[WhatIf]:
        return [
            WhatIf(self.features.names[lp.feature], lp.lever.action, float(result.what_if[n, i]))
            for n, lp in enumerate(levers)
            if not math.isnan(result.what_if[n, i])
        ]

    # Many offers (files) ------------------------------------------------------------------

    def table(self, result: KernelResult, offers: pd.DataFrame, levers: list[Any]) -> pd.DataFrame:
        """Per row: reason_1..3 (columns, value, typical, effect, sentence), action, what-ifs.

        Each input named anywhere is rendered once per distinct value; each rank's rows then
        pick their texts by index, so the cost grows with distinct values, not rows.
        """
        out: dict[str, Any] = {}
        named = np.unique(np.concatenate([result.first.ravel(), result.second.ravel()]))
        rendered = {
            int(j): self._render(int(j), offers[self.features.names[int(j)]].to_numpy())
            for j in named
            if j != NONE
        }
        for rank in range(TOP):
            first, second = result.first[rank], result.second[rank]
            values = np.full(len(offers), None, dtype=object)
            sentences = np.full(len(offers), None, dtype=object)
            key = (first + 1) * self._size + second + 1
            for found in np.unique(key[first != NONE]):
                j, k = int(found // self._size - 1), int(found % self._size - 1)
                rows = np.flatnonzero(key == found)
                said, shown = self._said(rendered, rows, j, k)
                values[rows], sentences[rows] = shown, said
            prefix = f"reason_{rank + 1}_"
            out[prefix + "column"] = self._labels_of[key]
            out[prefix + "value"] = values
            out[prefix + "typical"] = self._typical_of[key]
            out[prefix + "effect"] = result.effect[rank]
            out[prefix + "sentence"] = sentences
        out["action"] = self._actions(result)
        for n, lp in enumerate(levers):
            out[f"what_if_{self.features.names[lp.feature]}"] = result.what_if[n]
        # Text stays as Python objects: pandas would otherwise convert each column to its
        # Arrow string type here, and the CSV writer converts once anyway.
        return pd.DataFrame(
            {
                name: pd.Series(
                    values,
                    dtype=object if values.dtype == object else None,
                    index=offers.index,
                    copy=False,
                )
                for name, values in out.items()
            }
        )

    def _said(
        self,
        rendered: dict[int, tuple[np.ndarray, np.ndarray]],
        rows: np.ndarray,
        j: int,
        k: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sentences and shown values of ``rows`` whose reason is input j (and k)."""
        texts_j, codes_j = rendered[j]
        if k == NONE:
            used, back = np.unique(codes_j[rows], return_inverse=True)
            said = np.asarray([self.sentence(j, texts_j[c]) for c in used], dtype=object)
            return said[back], texts_j[used][back]
        texts_k, codes_k = rendered[k]
        combined = codes_j[rows] * len(texts_k) + codes_k[rows]
        combos, back = np.unique(combined, return_inverse=True)
        pairs = [(texts_j[c // len(texts_k)], texts_k[c % len(texts_k)]) for c in combos]
        said = np.asarray([self.sentence(j, a, k, b) for a, b in pairs], dtype=object)
        shown = np.asarray([a + JOIN + b for a, b in pairs], dtype=object)
        return said[back], shown[back]

    def _render(self, j: int, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct value rendered once, and each row's index into them (missing last)."""
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        column = self.features.columns[j]
        rendered = [render_value(column, u) for u in uniques] + [NOT_RECORDED]
        return np.asarray(rendered, dtype=object), np.where(codes < 0, len(uniques), codes)

    def _actions(self, result: KernelResult) -> np.ndarray:
        """Each row's action, decided once per (leading input, band) and spread over rows."""
        actions = np.empty(len(result), dtype=object)
        for band in np.unique(result.band):
            in_band = result.band == band
            for lead in np.unique(result.lead[in_band]):
                actions[in_band & (result.lead == lead)] = self.action(int(lead), str(band))
        return actions
