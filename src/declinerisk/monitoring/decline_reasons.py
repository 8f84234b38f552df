"""Why people said no: stated decline reasons by month, department and time in process.

Free-text reasons are sorted into the usual categories by keywords (a company's own wording
of "competing offer" or "counter-offer" lands in the same bucket), then counted. The
days-in-process view also shows the decline rate per bucket: the one that tells a team
whether its process is the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from declinerisk.data import schema

CATEGORIES = (
    "competing offer",
    "compensation",
    "counter-offer or promotion",
    "process too long",
    "role or location",
    "personal",
    "other",
)
KEYWORDS = {
    "competing offer": ("compet", "another offer", "other offer", "elsewhere"),
    "compensation": ("compens", "salary", "pay", "money", "package", "equity", "bonus"),
    "counter-offer or promotion": ("counter", "promot", "retention", "raise"),
    "process too long": ("process", "slow", "too long", "took long", "waited", "timeline"),
    "role or location": ("role", "location", "relocat", "commute", "remote", "scope", "title"),
    "personal": ("personal", "family", "health"),
}
DAY_BUCKETS = (0, 15, 29, 43, 10_000)
DAY_LABELS = ("0-14 days", "15-28 days", "29-42 days", "43+ days")


def categorise(reason: object) -> str | None:
    """The category of a stated reason; None when none was given."""
    if reason is None or (isinstance(reason, float) and np.isnan(reason)):
        return None
    text = str(reason).strip().lower()
    if not text:
        return None
    for category in CATEGORIES:
        if text == category:
            return category
    for category, words in KEYWORDS.items():
        if any(word in text for word in words):
            return category
    return "other"


@dataclass(frozen=True)
class ReasonSummary:
    by_month: pd.DataFrame
    by_department: pd.DataFrame
    by_days: pd.DataFrame
    declines: int
    offers: int


def summarise(offers: pd.DataFrame) -> ReasonSummary:
    """Counts of stated reasons among declined offers, per month, department and day bucket."""
    declined = offers[schema.LABEL_COLUMN].astype(str).str.lower() == schema.DECLINED
    frame = offers.assign(
        category=[
            categorise(r) for r in offers.get("decline_reason", pd.Series(index=offers.index))
        ],
        declined=declined,
    )
    frame.loc[declined & frame["category"].isna(), "category"] = "(not stated)"
    reasons = frame[declined]

    def counts(by: pd.Series) -> pd.DataFrame:
        table = pd.crosstab(by, reasons["category"])
        return table.reindex(columns=[c for c in (*CATEGORIES, "(not stated)") if c in table])

    by_month = (
        counts(pd.to_datetime(reasons[schema.DATE_COLUMN]).dt.strftime("%Y-%m"))
        if schema.DATE_COLUMN in reasons
        else pd.DataFrame()
    )
    by_department = (
        counts(reasons["department"].fillna("(not given)"))
        if "department" in reasons
        else pd.DataFrame()
    )
    days = pd.cut(
        pd.to_numeric(frame["days_in_process"], errors="coerce"),
        DAY_BUCKETS,
        right=False,
        labels=DAY_LABELS,
    )
    by_days = pd.crosstab(days[declined], reasons["category"])
    rate = frame.groupby(days, observed=False)["declined"].agg(["size", "mean"])
    by_days = by_days.reindex(DAY_LABELS).fillna(0).astype(int)
    by_days.insert(0, "offers", rate["size"].reindex(DAY_LABELS).fillna(0).astype(int))
    by_days.insert(1, "decline_rate", rate["mean"].reindex(DAY_LABELS).round(3))
    return ReasonSummary(by_month, by_department, by_days, int(declined.sum()), len(frame))


def html_page(summary: ReasonSummary) -> str:
    """A self-contained page: the three tables and a chart of reasons by days in process."""
    from declinerisk.monitoring.pages import render

    tables = [
        (title, _header(table), _rows(table))
        for title, table in (
            ("By days in process", summary.by_days),
            ("By month", summary.by_month),
            ("By department", summary.by_department),
        )
        if not table.empty
    ]
    return render("decline_reasons.html.j2", summary=summary, chart=_chart(summary), tables=tables)


def _header(table: pd.DataFrame) -> list[str]:
    return [str(table.index.name or ""), *map(str, table.columns)]


def _rows(table: pd.DataFrame) -> list[list[object]]:
    return [
        [index, *values]
        for index, values in zip(table.index, table.to_numpy().tolist(), strict=True)
    ]


def _chart(summary: ReasonSummary) -> str:
    from declinerisk.monitoring.pages import png, pyplot

    figure, left = pyplot().subplots(figsize=(8, 4))
    reasons = summary.by_days.drop(columns=["offers", "decline_rate"])
    bottom = np.zeros(len(reasons))
    for category in reasons.columns:
        left.bar(reasons.index.astype(str), reasons[category], bottom=bottom, label=category)
        bottom += reasons[category].to_numpy()
    left.set(ylabel="declines", title="Stated reasons by days in process")
    right = left.twinx()
    right.plot(reasons.index.astype(str), summary.by_days["decline_rate"], "k-o")
    right.set_ylabel("decline rate")
    left.legend(fontsize=7, loc="upper left")
    return png(figure)
