"""The model report: one self-contained HTML page an analyst opens offline.

Plots are drawn with matplotlib and embedded as base64 PNGs; the page has inline CSS, no
scripts and no external URLs. It is built from a model folder's ``manifest.json`` and its
``evaluation.parquet`` (the test set's outcomes, scores of the model and the baseline, and any
protected attributes), so ``declinerisk report MODEL`` rebuilds it at any time.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from declinerisk.artifacts.manifest import FairnessGroup, Manifest
from declinerisk.monitoring import fairness

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
STYLE = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.flag{background:#fde2e2;font-weight:600}.small{color:#888}img{max-width:100%}
.note{color:#555;font-size:.9em}
"""


def _plt() -> Any:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _image(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _plt().close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="chart" src="data:image/png;base64,{encoded}">'


def _table(
    header: Iterable[str], rows: Iterable[Iterable[Any]], flags: Iterable[bool] | None = None
) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row, flagged in zip(rows, flags or _always(False), strict=False):
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row)
        body.append(f'<tr class="flag">{cells}</tr>' if flagged else f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _always(value: bool) -> Iterable[bool]:
    while True:
        yield value


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if np.isnan(value) else f"{value:.4g}"
    return str(value)


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
    plt = _plt()
    y = evaluation["declined"].to_numpy(dtype=int)
    p = evaluation["probability"].to_numpy(dtype=float)
    base = evaluation["baseline_probability"].to_numpy(dtype=float)
    parts = [
        f"<h1>declinerisk model {html.escape(manifest.version)}</h1>",
        f"<p>Trained {manifest.created_at:%Y-%m-%d %H:%M} UTC on "
        f"{html.escape(manifest.data.source)} ({manifest.data.rows_read:,} rows). "
        f"{html.escape(manifest.data.split)}. Model: "
        f"{html.escape(manifest.estimator.family)} "
        f"{html.escape(str(manifest.estimator.params.model_dump()))}, calibration "
        f"{html.escape(manifest.estimator.calibration)}. The test metrics are "
        f"those of the model {html.escape(manifest.estimator.evaluated)}; the "
        f"shipped model was {html.escape(manifest.estimator.shipped)}.</p>",
    ]

    summary = manifest.data_summary
    parts.append("<h2>Data</h2>")
    parts.append(
        _table(
            ["", "value"],
            [
                ["rows read", manifest.data.rows_read],
                ["invalid rows", manifest.data.rows_invalid],
                ["rows dropped", manifest.data.rows_dropped],
                [
                    "training / test rows (shipped model refitted on all)",
                    f"{manifest.data.rows_training:,} / {manifest.data.rows_test:,}",
                ],
                ["offer dates", summary.get("date_range", "not in the data")],
                ["decline rate", summary.get("decline_rate")],
            ],
        )
    )
    missing = summary.get("missing_share", {})
    parts.append("<p>Missing values per column:</p>")
    parts.append(_table(["column", "missing share"], sorted(missing.items())))

    test = manifest.metrics.test.model_dump()
    baseline = manifest.metrics.baseline_test.model_dump()
    parts.append("<h2>Test metrics</h2>")
    parts.append(
        _table(
            ["metric", "model", "baseline"],
            [[name, test[name], baseline.get(name)] for name in test],
        )
    )

    parts.append("<h2>ROC and precision-recall</h2>")
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
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
    parts.append(_image(figure))

    parts.append("<h2>Calibration</h2>")
    bins = np.minimum((p * 10).astype(int), 9)
    observed = [y[bins == b].mean() if (bins == b).any() else np.nan for b in range(10)]
    predicted = [p[bins == b].mean() if (bins == b).any() else np.nan for b in range(10)]
    figure, axis = plt.subplots(figsize=(5, 4.5))
    axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
    axis.plot(predicted, observed, "o-")
    axis.set(
        xlabel="mean predicted probability",
        ylabel="observed decline rate",
        title=f"Reliability (ECE {test['ece']:.3f})",
    )
    parts.append(_image(figure))

    parts.append("<h2>Deciles and lift</h2>")
    table = deciles(y, p)
    parts.append(
        _table(
            [
                "decile",
                "offers",
                "decline rate",
                "mean score",
                "share of declines",
                "cumulative",
                "lift",
            ],
            table[
                [
                    "decile",
                    "offers",
                    "decline_rate",
                    "mean_score",
                    "share_of_declines",
                    "cumulative_share",
                    "lift",
                ]
            ].itertuples(index=False),
        )
    )
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.bar(table["decile"], table["lift"])
    axis.axhline(1.0, color="k", linewidth=0.8)
    axis.set(xlabel="risk decile (1 = riskiest)", ylabel="lift", title="Lift by decile")
    parts.append(_image(figure))

    parts.append("<h2>Scores by outcome</h2>")
    figure, axis = plt.subplots(figsize=(6, 3.5))
    edges = np.linspace(0, 1, 41)
    axis.hist(p[y == 0], bins=edges, alpha=0.6, density=True, label="accepted")
    axis.hist(p[y == 1], bins=edges, alpha=0.6, density=True, label="declined")
    axis.set(xlabel="decline probability", ylabel="density", title="Score distribution")
    axis.legend()
    parts.append(_image(figure))

    parts.append("<h2>What drives risk</h2>")
    drivers = sorted(manifest.drivers.items(), key=lambda kv: kv[1])
    figure, axis = plt.subplots(figsize=(6, 0.35 * max(len(drivers), 3) + 1))
    axis.barh([k for k, _ in drivers], [v for _, v in drivers])
    axis.set(xlabel="mean |score| in the decline log-odds (training rows; pairs as a & b)")
    parts.append(_image(figure))

    parts.append("<h2>Risk bands</h2>")
    bands = manifest.bands
    parts.append(
        _table(
            ["band", "decline probability"],
            [
                ["high", f">= {bands['high']:.3f}"],
                ["medium", f">= {bands['medium']:.3f} and < {bands['high']:.3f}"],
                ["low", f"< {bands['medium']:.3f}"],
            ],
        )
    )

    parts.append("<h2>Fairness audit</h2>")
    parts.append(_fairness([g.model_dump() for g in manifest.fairness]))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>declinerisk model {html.escape(manifest.version)}</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )


def _fairness(groups: list[dict[str, Any]]) -> str:
    if not groups:
        return (
            "<p>The training data carries no protected attributes (gender, age or age "
            "band, race/ethnicity), so there is nothing to audit. Map them in the column "
            "mapping to include this section.</p>"
        )
    adverse = [g for g in groups if g.get("adverse")]
    over = [g for g in groups if g.get("over_flagged")]
    parts = [
        '<p class="note">How a flag reads: a high-risk flag brings extra recruiter attention '
        "(a call, a package review), so the audit reads it as the favourable outcome and "
        f"judges groups flagged less often (<b>{fairness.FEWER}</b>, impact ratio against "
        "the most-flagged group). A flag also labels a candidate as likely to decline, so it "
        f"reads it the other way too (<b>{fairness.MORE}</b>, the ratio of unflagged shares "
        "against the least-flagged group). A group is flagged only when its ratio is under "
        f"{fairness.FOUR_FIFTHS} <i>and</i> Fisher's exact test against the reference is "
        f"significant at {fairness.ALPHA} after Holm's correction over all "
        f"{groups[0].get('comparisons', 0)} pairwise comparisons of the audit.</p>"
    ]
    if adverse or over:
        sentences = [
            line for g in groups for line in fairness.describe(FairnessGroup.model_validate(g))
        ]
        parts.append(
            f'<p class="flag">{len(adverse)} groups have an impact ratio under 0.8 that is '
            f"significant ({fairness.FEWER}); {len(over)} are flagged significantly more "
            f"often ({fairness.MORE}): review them.</p>"
            + "<ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in sentences)
            + "</ul>"
        )
    else:
        parts.append(
            "<p>No group differs from its reference beyond noise: no impact ratio under 0.8 "
            "with a significant difference, in either reading.</p>"
        )
    rows = [
        [
            g["attribute"],
            g["group"],
            g["count"],
            f"{g['flagged_share']:.1%}",
            _ratio(g.get("impact_ratio")),
            g.get("reference"),
            _p(g.get("p_value")),
            _ratio(g.get("unflagged_ratio")),
            g.get("unflagged_reference"),
            _p(g.get("unflagged_p_value")),
            g["roc_auc"],
            g["calibration_error"],
            _verdict(g),
        ]
        for g in groups
    ]
    table = _table(
        [
            "attribute",
            "group",
            "test offers",
            "share flagged high",
            "impact ratio",
            "reference (most flagged)",
            "p (Holm)",
            "unflagged ratio",
            "reference (least flagged)",
            "p (Holm)",
            "ROC AUC",
            "calibration error",
            "note",
        ],
        rows,
        [bool(g.get("adverse") or g.get("over_flagged")) for g in groups],
    )
    return (
        "".join(parts)
        + table
        + (
            f'<p class="note">Groups under {fairness.MIN_SHARE:.0%} of the test offers or under '
            f'{fairness.MIN_GROUP} offers, and "{fairness.NOT_GIVEN}", are shown but not '
            "judged and never serve as a reference (as NYC Local Law 144 bias audits allow). "
            f"Pairs with fewer than {fairness.MIN_FLAGGED} flagged offers between them are not "
            "tested. Protected attributes are never model inputs; they are read only for this "
            "audit.</p>"
        )
    )


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def _verdict(group: dict[str, Any]) -> str:
    if group["too_small"]:
        return "too small to judge"
    notes = []
    if group.get("adverse"):
        notes.append(f"adverse impact ({fairness.FEWER} than {group['reference']})")
    if group.get("over_flagged"):
        notes.append(f"{fairness.MORE} than {group['unflagged_reference']}")
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
