"""Fairness audit: do high-risk flags fall unevenly on protected groups?

It follows the impact ratio of NYC Local Law 144 bias audits, and guards it against noise.

How a flag reads. A high-risk flag brings a candidate extra recruiter attention: a call within
a day, a review of the package, a talk about a counter-offer (see ``playbook.toml``). That is
help, so the audit reads being flagged as the favourable outcome, the "selection" of LL144: a
group flagged less often gets less of that help (**fewer flags**). But a flag also marks a
candidate as likely to walk away, and a recruiter may treat that as a reason to invest less,
so the audit reads it the other way too: a group flagged more often carries more of that label
(**more flags**). Both readings are reported, each labelled, with its own reference group.

Per protected attribute (gender, age band, race or ethnicity) and per intersection of them:

* **Impact ratio** (LL144): a group's selection rate over the rate of the reference group, the
  eligible group with the highest rate. For *fewer flags* the rate is the share flagged high;
  for *more flags* it is the share not flagged, so its reference is the least-flagged group.
* **Eligible groups**: at least 2% of the audited rows (the LL144 rules let an audit leave
  smaller categories out of the ratio) and at least 30 rows; "(not given)" is never eligible
  (LL144 counts people with unknown categories but leaves them out of the ratios). Other
  groups are shown, not judged, and can never be a reference.
* **Significance**: Fisher's exact test of each pair of eligible groups in a view (flagged
  or not, by group), Holm-corrected over every pair in the whole audit. Every pair, not only
  the pairs with the reference, because the reference is the most extreme group and is picked
  after looking at the data; correcting over all pairs keeps the chance of any false alarm in
  the audit at or below ``ALPHA`` (familywise). A pair with fewer than ``MIN_FLAGGED`` flagged
  rows between them is not tested and cannot raise a flag.
* **Flag**: an impact ratio under 0.8 (the four-fifths rule) *and* a significant difference
  from the reference after correction.

ROC AUC and calibration error per group come from fairlearn's ``MetricFrame``. Protected
attributes are never model inputs; they are only read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate
from scipy.stats import fisher_exact
from sklearn.metrics import roc_auc_score

from declinerisk.artifacts.manifest import FairnessGroup
from declinerisk.modeling.evaluate import expected_calibration_error

MIN_GROUP = 30
MIN_SHARE = 0.02
MIN_FLAGGED = 10
FOUR_FIFTHS = 0.8
ALPHA = 0.05
NOT_GIVEN = "(not given)"
JOIN = " & "
FEWER = "fewer flags"
MORE = "more flags"
AGE_BANDS = (0, 30, 40, 50, 200)
AGE_LABELS = ("under 30", "30-39", "40-49", "50 and over")
# The audit's result per group is the manifest's record of it: one type, stored as is.
GroupResult = FairnessGroup


@dataclass(frozen=True)
class _Group:
    name: str
    count: int
    flagged: int
    roc_auc: float | None
    calibration_error: float
    eligible: bool

    @property
    def share(self) -> float:
        return self.flagged / self.count if self.count else 0.0


def protected_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The protected attributes present, age turned into bands when only ages are given."""
    found: dict[str, pd.Series] = {}
    for name in ("gender", "age_band", "race_ethnicity"):
        if name in frame.columns and frame[name].notna().any():
            found[name] = frame[name].astype(object).where(frame[name].notna(), NOT_GIVEN)
    if "age_band" not in found and "age" in frame.columns and frame["age"].notna().any():
        bands = pd.cut(frame["age"], AGE_BANDS, right=False, labels=AGE_LABELS)
        found["age_band"] = bands.astype(object).where(bands.notna(), NOT_GIVEN)
    return found


def views(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Each protected attribute, and each intersection of two or more of them."""
    attributes = protected_columns(frame)
    found: dict[str, pd.Series] = {k: v.astype(str) for k, v in attributes.items()}
    names = list(attributes)
    for size in range(2, len(names) + 1):
        for combo in combinations(names, size):
            joined = found[combo[0]]
            for other in combo[1:]:
                joined = joined + JOIN + found[other]
            found[" x ".join(combo)] = joined
    return found


def audit(
    frame: pd.DataFrame, declined: np.ndarray, probability: np.ndarray, flagged: np.ndarray
) -> list[GroupResult]:
    """Per group of each protected attribute and intersection, both readings of a flag."""
    y = np.asarray(declined, dtype=int)
    p = np.asarray(probability, dtype=float)
    f = np.asarray(flagged, dtype=bool)
    grouped = {name: _groups(labels, y, p, f) for name, labels in views(frame).items()}
    pairs = {
        (view, frozenset((a.name, b.name))): _fisher(a, b)
        for view, groups in grouped.items()
        for a, b in combinations([g for g in groups if g.eligible], 2)
        if a.flagged + b.flagged >= MIN_FLAGGED
    }
    adjusted = dict(zip(pairs, holm(list(pairs.values())), strict=True))
    results: list[GroupResult] = []
    for view, groups in grouped.items():
        results.extend(_judge(view, groups, adjusted, len(pairs)))
    return results


def _groups(labels: pd.Series, y: np.ndarray, p: np.ndarray, f: np.ndarray) -> list[_Group]:
    frame = MetricFrame(
        metrics={
            "count": count,
            "flagged_share": selection_rate,
            "roc_auc": _roc_auc,
            "calibration_error": _calibration_error,
        },
        y_true=y,
        y_pred=f.astype(int),
        sensitive_features=labels.to_numpy(),
        sample_params={"roc_auc": {"p": p}, "calibration_error": {"p": p}},
    )
    table = frame.by_group
    minimum = max(MIN_GROUP, MIN_SHARE * len(labels))
    groups = []
    for name, row in sorted(table.iterrows(), key=lambda item: str(item[0])):
        n = int(row["count"])
        auc = float(row["roc_auc"])
        groups.append(
            _Group(
                name=str(name),
                count=n,
                flagged=round(float(row["flagged_share"]) * n),
                roc_auc=None if np.isnan(auc) else auc,
                calibration_error=float(row["calibration_error"]),
                eligible=n >= minimum and NOT_GIVEN not in str(name),
            )
        )
    return groups


def _roc_auc(y_true: np.ndarray, y_pred: np.ndarray, p: np.ndarray) -> float:
    # A group with only one outcome has no ROC AUC; NaN becomes "-" in the report.
    return float(roc_auc_score(y_true, p)) if len(np.unique(y_true)) == 2 else float("nan")


def _calibration_error(y_true: np.ndarray, y_pred: np.ndarray, p: np.ndarray) -> float:
    return expected_calibration_error(y_true, p)


def _fisher(a: _Group, b: _Group) -> float:
    table = [[a.flagged, a.count - a.flagged], [b.flagged, b.count - b.flagged]]
    return float(fisher_exact(table).pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (familywise error control), in the input order."""
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted.tolist()


def _judge(
    view: str,
    groups: list[_Group],
    adjusted: dict[tuple[str, frozenset[str]], float],
    comparisons: int,
) -> list[GroupResult]:
    eligible = [g for g in groups if g.eligible]
    # Ties go to the larger group: its rate is the better estimate.
    most = max(eligible, key=lambda g: (g.share, g.count), default=None)
    least = min(eligible, key=lambda g: (g.share, -g.count), default=None)

    def p_against(group: _Group, reference: _Group | None) -> float | None:
        if reference is None or group is reference:
            return None
        return adjusted.get((view, frozenset((group.name, reference.name))))

    results = []
    for g in groups:
        ratio = unflagged = p_fewer = p_more = None
        if g.eligible and most is not None and most.share > 0:
            ratio = g.share / most.share
            p_fewer = p_against(g, most)
        if g.eligible and least is not None and least.share < 1:
            unflagged = (1 - g.share) / (1 - least.share)
            p_more = p_against(g, least)
        results.append(
            GroupResult(
                attribute=view,
                group=g.name,
                count=g.count,
                flagged=g.flagged,
                flagged_share=g.share,
                roc_auc=g.roc_auc,
                calibration_error=g.calibration_error,
                too_small=not g.eligible,
                impact_ratio=ratio,
                reference=most.name if most is not None and g.eligible else None,
                p_value=p_fewer,
                adverse=_flagged(ratio, p_fewer),
                unflagged_ratio=unflagged,
                unflagged_reference=least.name if least is not None and g.eligible else None,
                unflagged_p_value=p_more,
                over_flagged=_flagged(unflagged, p_more),
                comparisons=comparisons,
            )
        )
    return results


def _flagged(ratio: float | None, p_value: float | None) -> bool:
    return ratio is not None and p_value is not None and ratio < FOUR_FIFTHS and p_value < ALPHA


def flag_lines(results: list[GroupResult]) -> list[str]:
    """One plain sentence per flagged group, naming its reference group (for the printout)."""
    return [line for r in results for line in describe(r)]


def describe(record: GroupResult) -> list[str]:
    """The flags of one group record (as stored in the manifest), as sentences."""
    lines = []
    where = f"{record.attribute} = {record.group}"
    if record.adverse:
        lines.append(
            f"{FEWER}: {where} is flagged high risk at {record.flagged_share:.1%}, impact "
            f"ratio {record.impact_ratio:.2f} against the most-flagged group "
            f"{record.reference} (< {FOUR_FIFTHS}; Holm-adjusted p = "
            f"{record.p_value:.2g}) on {record.count} test offers: less recruiter "
            "attention"
        )
    if record.over_flagged:
        lines.append(
            f"{MORE}: {where} is flagged high risk at {record.flagged_share:.1%}, impact "
            f"ratio of unflagged shares {record.unflagged_ratio:.2f} against the "
            f"least-flagged group {record.unflagged_reference} (< {FOUR_FIFTHS}; "
            f"Holm-adjusted p = {record.unflagged_p_value:.2g}) on {record.count} test "
            "offers: more often labelled likely to decline"
        )
    return lines
