"""Plain-language reasons, actions and what-ifs from the kernel's numbers.

The kernel (:mod:`declinerisk.scoring.kernel`) decides which inputs are reasons and by how much each
raises the probability; this module only says it in words: the candidate's value, the typical
value the effect was measured against, a sentence from the playbook, the action that fits and
each lever's estimate. Rendering is done once per distinct value and sentence, so a million rows
cost a few thousand string formats, not millions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from declinerisk.data.features import FeatureSet
from declinerisk.explain import named
from declinerisk.explain.actions import Playbook
from declinerisk.explain.values import NOT_RECORDED, render_value
from declinerisk.scoring.kernel import BANDS, NONE, TOP, KernelResult

__all__ = ["NOT_RECORDED", "Reason", "ReasonWriter", "WhatIf", "render_value"]

JOIN = " & "
SENTENCE_CACHE = 50_000


# Built per offer and reason of every request, so plain dataclasses: a frozen one's __init__
# costs four times as much, and slots would make orjson (the response) five times slower.
@dataclass
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


@dataclass
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
        # The column and typical texts of every (input, input or none) candidate, as codes
        # indexed by (first + 1) * size + second + 1; -1 (no reason) where first is none.
        self._size = len(features.names) + 1
        labels: list[str | None] = [None] * self._size**2
        typicals: list[str | None] = [None] * self._size**2
        for a, name in enumerate(features.names, start=1):
            labels[a * self._size] = name
            typicals[a * self._size] = self._typical[a - 1]
            for b, other in enumerate(features.names, start=1):
                labels[a * self._size + b] = f"{name}{JOIN}{other}"
                typicals[a * self._size + b] = f"{self._typical[a - 1]}{JOIN}{self._typical[b - 1]}"
        self._label_texts, self._label_codes = _coded(labels)
        self._typical_texts, self._typical_codes = _coded(typicals)

    @property
    def size(self) -> int:
        """One more than the number of inputs: the base of the candidate keys."""
        return self._size

    def typical_text(self, j: int) -> str:
        """Input ``j``'s typical value in words: what its effects are measured against."""
        return self._typical[j]

    def sentence(self, j: int, value: str, k: int = NONE, other: str = "") -> str:
        """The sentence of input ``j`` at ``value`` (with input ``k`` at ``other``: a pair)."""
        key = (j, k, value, other)
        said = self._sentences.get(key)
        if said is None:
            if len(self._sentences) >= SENTENCE_CACHE:
                # Unseen categories and pair combinations are unbounded: start over rather
                # than let a long-running service grow without limit.
                self._sentences.clear()
            # Kept in a local: another thread may clear the cache between the two lines.
            said = self._sentences[key] = self._say(j, value, k, other)
        return said

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

    # Many offers (files) ------------------------------------------------------------------

    def table(self, result: KernelResult, offers: pd.DataFrame, levers: list[Any]) -> pd.DataFrame:
        """Per row: reason_1..3 (columns, value, typical, effect, sentence), action, what-ifs.

        Text columns are categorical: every distinct value named in a reason is rendered
        once and every distinct sentence said once, then rows hold integer codes, so the cost
        of the words grows with the distinct values, not the rows (missing is NaN).
        """
        fixed = np.stack([self._label_codes, self._typical_codes], axis=1)
        said = _Said(self, result, offers, fixed)
        out: dict[str, Any] = {}
        for rank in range(TOP):
            prefix = f"reason_{rank + 1}_"
            out[prefix + "column"] = _categorical(said.label[rank], self._label_texts)
            out[prefix + "value"] = _categorical(said.value[rank], said.values)
            out[prefix + "typical"] = _categorical(said.typical[rank], self._typical_texts)
            out[prefix + "effect"] = result.effect[rank]
            out[prefix + "sentence"] = _categorical(said.sentence[rank], said.sentences)
        out["action"] = self._actions(result)
        for n, lp in enumerate(levers):
            out[f"what_if_{self.features.names[lp.feature]}"] = result.what_if[n]
        # Series side by side, never stacked into one block: pandas would copy every column.
        # copy=False: the arrays are this call's own, and pandas 3 copies arrays by default.
        return pd.concat(
            [pd.Series(v, name=k, index=offers.index, copy=False) for k, v in out.items()],
            axis=1,
        )

    def _actions(self, result: KernelResult) -> pd.Categorical:
        """Each row's action, decided once per (leading input, band)."""
        key = (result.lead + 1) * len(BANDS) + result.band_code
        table = [self.action(lead - 1, name) for lead in range(self._size) for name in BANDS]
        codes, texts = pd.factorize(np.asarray(table, dtype=object))
        return _categorical(codes[key], list(texts))


class _Said:
    """The shown value and the sentence of every reason of every row, as codes (rank x rows,
    -1 where none) into distinct texts; and its label and typical value, as codes
    ``fixed[key]`` of the reason's key ``(first + 1) * size + second + 1``. All four are
    planes of one int32 block, filled in place (see :mod:`declinerisk.explain.named`).

    Each input's values named by a reason are rendered once per distinct value; a single
    input's sentence is said once per distinct text, a pair's once per distinct two texts.
    """

    def __init__(
        self,
        writer: ReasonWriter,
        result: KernelResult,
        offers: pd.DataFrame,
        fixed: NDArray[np.intp],
    ) -> None:
        first, second = result.first, result.second
        rows, bounds = named.group(first, second, len(writer.features.names))
        texts, inputs, text = _shown(writer, result, offers, rows, bounds)
        alone = np.zeros(len(texts), dtype=bool)
        said = named.texts_of(first, second, bounds, text, fixed, writer.size, alone)
        # Pairs are few: their (first, second) texts are told apart in NumPy.
        pair = np.nonzero(said[:, 1] >= 0)
        a, b = said[:, 0][pair], said[:, 1][pair]
        back, combos = pd.factorize(a.astype(np.intp) * len(texts) + b)
        pairs = [divmod(int(c), len(texts)) for c in combos]
        used = np.flatnonzero(alone)
        self.values, value_of = _distinct(texts + [texts[x] + JOIN + texts[y] for x, y in pairs])
        self.sentences, sentence_of = _distinct(
            [writer.sentence(inputs[x], texts[x]) for x in used]
            + [writer.sentence(inputs[x], texts[x], inputs[y], texts[y]) for x, y in pairs]
        )
        # By text; the last entry (no reason) is NONE.
        single = np.full(len(texts) + 1, NONE, dtype=np.int32)
        single[used] = sentence_of[: len(used)]
        value = np.append(value_of[: len(texts)], NONE).astype(np.int32)
        named.recode(said, value, single)
        said[pair[0], 0, pair[1]] = value_of[len(texts) + back]
        said[pair[0], 1, pair[1]] = sentence_of[len(used) + back]
        self.value, self.sentence, self.label, self.typical = (said[:, n] for n in range(4))


def _shown(
    writer: ReasonWriter,
    result: KernelResult,
    offers: pd.DataFrame,
    rows: NDArray[np.int32],
    bounds: NDArray[np.intp],
) -> tuple[list[str], list[int], NDArray[np.int32]]:
    """Every value named by a reason rendered once: the texts, the input of each text, and
    the index of the text of each entry of :func:`named.group` (``rows``, by input).

    A categorical input's values are the ones the kernel factorised to score them (``result``
    was scored from ``offers``), so its text objects are not hashed again; a number's are
    factorised among the rows that name it."""
    text = np.empty(len(rows), dtype=np.int32)
    texts: list[str] = []
    inputs: list[int] = []
    for j, column in enumerate(writer.features.columns):
        at = rows[bounds[j] : bounds[j + 1]]
        if not len(at):
            continue
        if j in result.keys:
            every, distinct = result.keys[j]
            keys = every[at]
            # Only the distinct values some reason names, numbered in their first order.
            seen = np.flatnonzero(np.bincount(keys[keys >= 0], minlength=len(distinct)))
            number = np.full(len(distinct) + 1, -1, dtype=np.intp)
            number[seen] = np.arange(len(seen))
            keys, uniques = number[keys], [distinct[u] for u in seen]
        else:
            keys, uniques = pd.factorize(offers[column.name].to_numpy()[at])
        text[bounds[j] : bounds[j + 1]] = len(texts) + np.where(keys < 0, len(uniques), keys)
        texts += [render_value(column, u) for u in uniques] + [NOT_RECORDED]
        inputs += [j] * (len(uniques) + 1)
    return texts, inputs, text


def _coded(texts: list[str | None]) -> tuple[list[str], NDArray[np.intp]]:
    """The distinct texts, and each entry's index among them (-1 for None)."""
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object), use_na_sentinel=True)
    return list(uniques), codes.astype(np.intp)


def _distinct(texts: list[str]) -> tuple[list[str], NDArray[np.intp]]:
    """The distinct texts, and each text's index among them."""
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return list(uniques), codes.astype(np.intp)


def _categorical(codes: NDArray[np.intp], texts: list[str]) -> pd.Categorical:
    """Rows as codes into distinct ``texts`` (-1: missing), without checking each code."""
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(texts, dtype=object), validate=False
    )
