"""Rendering the monitoring pages (the model report, decline reasons) from Jinja2 templates.

The templates ship as package data in ``templates/``; autoescaping is on, so any text from
the data (a department, a source name, a group) is escaped wherever it appears. Charts are
matplotlib figures embedded as base64 PNG data URIs: the pages stay single files that open
offline, with no scripts and no external URLs.
"""

from __future__ import annotations

import base64
import io
import os
from functools import cache
from typing import Any

import jinja2
import numpy as np


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("declinerisk.monitoring", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, not the page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def cell(value: Any) -> str:
    """A table cell: ``-`` for missing, four significant digits for floats."""
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        return "-" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display is needed or used)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(figure: Any) -> str:
    """``figure`` as a base64 PNG data URI (the figure is closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    pyplot().close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
