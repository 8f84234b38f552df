"""How numbers and tables are shown to a person on the console.

Probabilities shown to a person are never 0% or 100% (a model is never certain): they are
clamped to "<1%" and ">99%". The files and the API keep the exact values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from declinerisk.scoring.scorer import ScoreReport


def percent(probability: float) -> str:
    """``0.234`` -> ``"23%"``; below 0.5% -> ``"<1%"``, from 99.5% -> ``">99%"``."""
    if probability >= 0.995:
        return ">99%"
    if probability < 0.005:
        return "<1%"
    return f"{probability:.0%}"


def threshold(probability: float) -> str:
    """A band threshold, one decimal of a percent: ``0.23456`` -> ``"23.5%"``."""
    if probability >= 0.9995:
        return ">99.9%"
    if probability < 0.0005:
        return "<0.1%"
    return f"{probability:.1%}"


def bands_text(bands: Mapping[str, float]) -> str:
    """``risk bands: high from 31.2% decline probability, medium from 18.0%, low below``."""
    return (
        f"risk bands: high from {threshold(bands['high'])} decline probability, "
        f"medium from {threshold(bands['medium'])}, low below"
    )


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def score_summary(report: ScoreReport, version: str) -> str:
    """One line: how many were scored, where they went, and what was rejected (if any)."""
    line = (
        f"scored {report.rows_scored:,} of {report.rows_read:,} offers with model {version} "
        f"into {report.output}; "
    )
    if not report.rows_rejected:
        return line + "no rows rejected"
    plural = "" if report.rows_rejected == 1 else "s"
    return line + (
        f"{report.rows_rejected:,} row{plural} rejected (listed with offer id, row number and "
        f"reason in {report.errors})"
    )


def riskiest_table(riskiest: pd.DataFrame, *, reasons: bool, no_signal: str = "") -> Table:
    """The riskiest offers; an offer with no reason shows ``no_signal`` (the playbook's)."""
    table = Table(title=f"The {len(riskiest)} riskiest offers")
    for name in ("offer", "decline risk", "band", *(("top reason", "action") if reasons else ())):
        table.add_column(name, overflow="fold")
    for _, row in riskiest.iterrows():
        cells = [
            str(row["offer_id"]),
            percent(float(row["decline_probability"])),
            str(row["risk_band"]),
        ]
        if reasons:
            reason = row["reason_1_sentence"]
            cells += [reason if isinstance(reason, str) else no_signal, str(row["action"])]
        table.add_row(*cells)
    return table


def frame_table(title: str, frame: pd.DataFrame) -> Table:
    """A table of counts and rates with readable headers: words, never cut to an ellipsis."""
    table = Table(title=title)
    table.add_column(_header(frame.index.name or ""), overflow="fold")
    for column in frame.columns:
        table.add_column(_header(column), justify="right", overflow="fold")
    for index, row in frame.iterrows():
        cells = [_cell(name, value) for name, value in row.items()]
        table.add_row(str(index), *cells)
    return table


def print_whole(console: Console, table: Table) -> None:
    """Print ``table`` at its natural width even where the console is narrower (80 columns
    when output goes to a file), so no column is cropped or cut to an ellipsis."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(1_000), table).maximum
    if needed > console.width:
        console = Console(width=needed, file=console.file)
    console.print(table)


def _header(name: object) -> str:
    return str(name).replace("_", " ")


def _cell(name: object, value: object) -> str:
    if isinstance(value, float) and str(name).endswith("rate"):
        return f"{value:.1%}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)
