"""The model report: one self-contained HTML page an analyst opens offline.

Plots are drawn with matplotlib and embedded as base64 PNGs; the page (``templates/
report.html.j2``, autoescaped) has inline CSS, no scripts and no external URLs. It is built
from a model folder's ``manifest.json`` and its ``evaluation.parquet`` (the test set's
outcomes, scores of the model and the baseline, and any protected attributes), so
``declinerisk report MODEL`` rebuilds it at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import precision_recall_curve, roc_curve

from declinerisk.artifacts.manifest import FairnessGroup, Manifest
from declinerisk.monitoring import fairness
from declinerisk.monitoring.pages import png, pyplot, render

REPORT_FILE = "report.html"
EVALUATION_FILE = "evaluation.parquet"
SECTIONS = (
    "Data",
    "Test metrics",
    "ROC and precision-recall",
    "Calibration",
    "Deciles and lift",
    "Scores by outcome",
    "What drives risk",
    "Risk bands",
    "Fairness audit",
)
DECILE_COLUMNS = (
    "decile",
    "offers",
    "decline_rate",
    "mean_score",
    "share_of_declines",
    "cumulative_share",
    "lift",
)
# The fairness rules the page explains, by name (as the audit defines them).
RULES = (
    "FEWER",
    "MORE",
    "FOUR_FIFTHS",
    "ALPHA",
    "MIN_SHARE",
    "MIN_GROUP",
    "NOT_GIVEN",
    "MIN_FLAGGED",
)
FAIRNESS_RULES = {name: getattr(fairness, name) for name in RULES}

Rows = list[list[Any]]
Array = NDArray[np.float64]


def deciles(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Per risk decile (1 = riskiest): offers, decline rate, share of all declines, lift."""
    order = np.argsort(-p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * 10 // max(len(p), 1) + 1
    frame = pd.DataFrame({"decile": decile, "declined": y, "score": p})
    table = frame.groupby("decile").agg(
        offers=("declined", "size"),
        decline_rate=("declined", "mean"),
        mean_score=("score", "mean"),
        declines=("declined", "sum"),
    )
    total = max(float(y.sum()), 1.0)
    table["share_of_declines"] = table["declines"] / total
    table["cumulative_share"] = table["share_of_declines"].cumsum()
    table["lift"] = table["decline_rate"] / max(float(y.mean()), 1e-12)
    return table.reset_index()


def build_report(manifest: Manifest, evaluation: pd.DataFrame) -> str:
    """The report page for a model, from its manifest and its test-set evaluation."""
    y = evaluation["declined"].to_numpy(dtype=int)
    p = evaluation["probability"].to_numpy(dtype=float)
    base = evaluation["baseline_probability"].to_numpy(dtype=float)
    table = deciles(y, p)
    params = manifest.estimator.params.model_dump()
    return render(
        "report.html.j2",
        manifest=manifest,
        params=", ".join(f"{k}={v}" for k, v in sorted(params.items())),
        data_rows=_data_rows(manifest),
        missing=sorted(manifest.data_summary.get("missing_share", {}).items()),
        metrics=_metric_rows(manifest),
        deciles=[list(row) for row in table[list(DECILE_COLUMNS)].itertuples(index=False)],
        bands=_band_rows(manifest.bands),
        charts={
            "roc": _roc_chart(y, p, base),
            "calibration": _calibration_chart(y, p, manifest.metrics.test.ece),
            "lift": _lift_chart(table),
            "scores": _score_chart(y, p),
            "drivers": _drivers_chart(manifest.drivers),
        },
        fairness=_fairness(manifest.fairness),
    )


def _data_rows(manifest: Manifest) -> Rows:
    data, summary = manifest.data, manifest.data_summary
    return [
        ["rows read", data.rows_read],
        ["invalid rows", data.rows_invalid],
        ["rows dropped", data.rows_dropped],
        [
            "training / test rows (shipped model refitted on all)",
            f"{data.rows_training:,} / {data.rows_test:,}",
        ],
        ["offer dates", summary.get("date_range", "not in the data")],
        ["decline rate", summary.get("decline_rate")],
    ]


def _metric_rows(manifest: Manifest) -> Rows:
    test = manifest.metrics.test.model_dump()
    baseline = manifest.metrics.baseline_test.model_dump()
    return [[name, value, baseline.get(name)] for name, value in test.items()]


def _band_rows(bands: dict[str, float]) -> Rows:
    high, medium = bands["high"], bands["medium"]
    return [
        ["high", f">= {high:.3f}"],
        ["medium", f">= {medium:.3f} and < {high:.3f}"],
        ["low", f"< {medium:.3f}"],
    ]


def _roc_chart(y: NDArray[np.int_], p: Array, base: Array) -> str:
    figure, (left, right) = pyplot().subplots(1, 2, figsize=(10, 4))
    for label, scores in (("model", p), ("baseline", base)):
        fpr, tpr, _ = roc_curve(y, scores)
        left.plot(fpr, tpr, label=label)
        precision, recall, _ = precision_recall_curve(y, scores)
        right.plot(recall, precision, label=label)
    left.plot([0, 1], [0, 1], "k:", linewidth=0.8)
    left.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    right.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    left.legend()
    right.legend()
    return png(figure)


def _calibration_chart(y: NDArray[np.int_], p: Array, ece: float) -> str:
    bins = np.minimum((p * 10).astype(int), 9)
    observed = [y[bins == b].mean() if (bins == b).any() else np.nan for b in range(10)]
    predicted = [p[bins == b].mean() if (bins == b).any() else np.nan for b in range(10)]
    figure, axis = pyplot().subplots(figsize=(5, 4.5))
    axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
    axis.plot(predicted, observed, "o-")
    axis.set(
        xlabel="mean predicted probability",
        ylabel="observed decline rate",
        title=f"Reliability (ECE {ece:.3f})",
    )
    return png(figure)


def _lift_chart(table: pd.DataFrame) -> str:
    figure, axis = pyplot().subplots(figsize=(6, 3.5))
    axis.bar(table["decile"], table["lift"])
    axis.axhline(1.0, color="k", linewidth=0.8)
    axis.set(xlabel="risk decile (1 = riskiest)", ylabel="lift", title="Lift by decile")
    return png(figure)


def _score_chart(y: NDArray[np.int_], p: Array) -> str:
    figure, axis = pyplot().subplots(figsize=(6, 3.5))
    edges = np.linspace(0, 1, 41)
    axis.hist(p[y == 0], bins=edges, alpha=0.6, density=True, label="accepted")
    axis.hist(p[y == 1], bins=edges, alpha=0.6, density=True, label="declined")
    axis.set(xlabel="decline probability", ylabel="density", title="Score distribution")
    axis.legend()
    return png(figure)


def _drivers_chart(drivers: dict[str, float]) -> str:
    ordered = sorted(drivers.items(), key=lambda kv: kv[1])
    figure, axis = pyplot().subplots(figsize=(6, 0.35 * max(len(ordered), 3) + 1))
    axis.barh([k for k, _ in ordered], [v for _, v in ordered])
    axis.set(xlabel="mean |score| in the decline log-odds (training rows; pairs as a & b)")
    return png(figure)


def _fairness(groups: list[FairnessGroup]) -> dict[str, Any]:
    """What the fairness section shows: counts, sentences, and one formatted row per group."""
    return {
        "groups": groups,
        "rules": FAIRNESS_RULES,
        "comparisons": groups[0].comparisons if groups else 0,
        "adverse": sum(g.adverse for g in groups),
        "over": sum(g.over_flagged for g in groups),
        "sentences": [line for g in groups for line in fairness.describe(g)],
        "rows": [_fairness_row(g) for g in groups],
        "flags": [g.adverse or g.over_flagged for g in groups],
    }


def _fairness_row(g: FairnessGroup) -> list[Any]:
    return [
        g.attribute,
        g.group,
        g.count,
        f"{g.flagged_share:.1%}",
        _ratio(g.impact_ratio),
        g.reference,
        _p(g.p_value),
        _ratio(g.unflagged_ratio),
        g.unflagged_reference,
        _p(g.unflagged_p_value),
        g.roc_auc,
        g.calibration_error,
        _verdict(g),
    ]


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def _verdict(group: FairnessGroup) -> str:
    if group.too_small:
        return "too small to judge"
    notes = []
    if group.adverse:
        notes.append(f"adverse impact ({fairness.FEWER} than {group.reference})")
    if group.over_flagged:
        notes.append(f"{fairness.MORE} than {group.unflagged_reference}")
    return "; ".join(notes)


def write_report(folder: Path, manifest: Manifest) -> Path:
    """Write ``report.html`` into a model folder (atomically) and return its path."""
    evaluation = pd.read_parquet(folder / EVALUATION_FILE)
    page = build_report(manifest, evaluation)
    target = folder / REPORT_FILE
    temporary = folder / f".{REPORT_FILE}.tmp"
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(target)
    return target
