"""Plain-language reasons: the columns that raise a candidate's risk most, in words.

Each reason carries the column, the candidate's value, the typical value in the training data,
the contribution to the decline log-odds, and a sentence from the playbook. Rendering is cached
per distinct value, so a million rows cost a few thousand string formats, not millions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from declinerisk.actions import Playbook
from declinerisk.explain import Contributions
from declinerisk.schema import Column, FeatureSet, Kind

TOP = 3
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Reason:
    column: str
    value: str
    typical: str
    contribution: float
    sentence: str


def render_value(column: Column, value: Any) -> str:
    """``value`` as a recruiter would say it: "34 days", "-8.5%", "yes", "referral"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_RECORDED
    if column.kind is Kind.BOOLEAN:
        return "yes" if float(value) >= 0.5 else "no"
    if not column.is_numeric:
        return str(value)
    number = float(value)
    text = f"{number:.1f}".removesuffix(".0")
    if column.unit == "%":
        return f"{'+' if number > 0 else ''}{text}%"
    if not column.unit:
        return text
    unit = column.unit[:-1] if number == 1 and column.unit.endswith("s") else column.unit
    return f"{text} {unit}"


class ReasonWriter:
    """Turns contributions into the top reasons and the recommended action."""

    def __init__(
        self, features: FeatureSet, summary: dict[str, dict[str, Any]], playbook: Playbook
    ) -> None:
        self.features = features
        self.playbook = playbook
        self._names = np.asarray(features.names, dtype=object)
        self._typical = {
            c.name: render_value(c, summary.get(c.name, {}).get("typical"))
            for c in features.columns
        }
        self._sentences: dict[tuple[str, str], str] = {}

    def sentence(self, column: str, value_text: str) -> str:
        key = (column, value_text)
        if key not in self._sentences:
            self._sentences[key] = self.playbook.wording(column).sentence.format(
                label=self.features[column].label.capitalize(),
                value=value_text,
                typical=self._typical[column],
            )
        return self._sentences[key]

    def table(
        self, contributions: Contributions, offers: pd.DataFrame, bands: np.ndarray
    ) -> pd.DataFrame:
        """Per row: reason_1..3 (column, value, typical, contribution, sentence) and action."""
        values = contributions.values
        top = min(TOP, values.shape[1])
        order = np.argsort(-values, axis=1, kind="stable")[:, :top]
        strength = np.take_along_axis(values, order, axis=1)
        out: dict[str, Any] = {}
        for rank in range(top):
            chosen = order[:, rank]
            texts = np.empty(len(chosen), dtype=object)
            sentences = np.empty(len(chosen), dtype=object)
            for j, name in enumerate(self.features.names):
                rows = np.flatnonzero(chosen == j)
                if len(rows):
                    rendered, codes = self._render(name, offers[name].to_numpy()[rows])
                    texts[rows] = rendered[codes]
                    said = np.asarray([self.sentence(name, t) for t in rendered], dtype=object)
                    sentences[rows] = said[codes]
            prefix = f"reason_{rank + 1}_"
            out[prefix + "column"] = self._names[chosen]
            out[prefix + "value"] = texts
            out[prefix + "typical"] = [self._typical[n] for n in self._names[chosen]]
            out[prefix + "contribution"] = strength[:, rank]
            out[prefix + "sentence"] = sentences
        out["action"] = self._actions(order[:, 0], strength[:, 0], bands)
        return pd.DataFrame(out, index=offers.index)

    def _actions(self, leading: np.ndarray, strength: np.ndarray, bands: np.ndarray) -> np.ndarray:
        """Each row's action, decided once per (leading column, band) and spread over rows."""
        actions = np.empty(len(leading), dtype=object)
        positive = strength > 0.0
        for band in np.unique(bands):
            in_band = bands == band
            for j, name in enumerate(self.features.names):
                rows = in_band & (leading == j)
                actions[rows & positive] = self.playbook.action_for(name, 1.0, str(band))
                actions[rows & ~positive] = self.playbook.action_for(name, 0.0, str(band))
        return actions

    def reasons_of_record(
        self, contributions: np.ndarray, record: Mapping[str, Any]
    ) -> list[Reason]:
        """The top reasons of one plain record, ranked as :meth:`table` ranks them."""
        order = np.argsort(-contributions, kind="stable")[:TOP]
        found = []
        for j in order:
            name = self.features.names[j]
            value = record.get(name)
            if isinstance(value, str):
                value = value.strip() or None
            text = render_value(self.features[name], value)
            found.append(
                Reason(
                    name,
                    text,
                    self._typical[name],
                    float(contributions[j]),
                    self.sentence(name, text),
                )
            )
        return found

    def action(self, reasons: list[Reason], band: str) -> str:
        if not reasons:
            return self.playbook.no_risk.action
        return self.playbook.action_for(reasons[0].column, reasons[0].contribution, band)

    def reasons(self, table_row: pd.Series) -> list[Reason]:
        """The reasons of one row of :meth:`table`, as objects."""
        found = []
        for rank in range(1, TOP + 1):
            prefix = f"reason_{rank}_"
            if prefix + "column" in table_row:
                found.append(
                    Reason(
                        column=str(table_row[prefix + "column"]),
                        value=str(table_row[prefix + "value"]),
                        typical=str(table_row[prefix + "typical"]),
                        contribution=float(table_row[prefix + "contribution"]),
                        sentence=str(table_row[prefix + "sentence"]),
                    )
                )
        return found

    def _render(self, name: str, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct value rendered once, and each row's index into them.

        Code -1 (missing) picks the last entry, "not recorded".
        """
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        column = self.features[name]
        rendered = [render_value(column, u) for u in uniques] + [NOT_RECORDED]
        return np.asarray(rendered, dtype=object), codes
