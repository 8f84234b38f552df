"""The analyst's commands: demo data, training, scoring files, report, drift, decline reasons.

Each imports what it needs when it runs, so ``declinerisk --help`` stays instant."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from declinerisk.cli.app import MappingOption, app, user_errors


@app.command("demo-data")
@user_errors
def demo_data(
    out: Annotated[Path, typer.Option(help="file to write: .csv or .parquet", show_default=False)],
    rows: Annotated[int, typer.Option(min=1, help="number of offers")] = 10_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same offers)")] = 0,
    open_: Annotated[
        bool, typer.Option("--open", help="write open offers (no outcome), for scoring")
    ] = False,
) -> int:
    """Write realistic demo offers (past ones with outcomes, or open ones)."""
    from declinerisk.data.sources import table_format, write_table
    from declinerisk.data.synthetic import demo_offers

    table_format(out)  # an unknown file type fails before any work
    frame = demo_offers(rows, seed, open_=open_)
    write_table(frame, out)
    kind = "open" if open_ else "past"
    print(f"wrote {len(frame):,} {kind} demo offers to {out}")
    return 0


@app.command("train")
@user_errors
def train(
    data: Annotated[
        str,
        typer.Option(
            help="CSV or Parquet export of past offers, or the service's store as a database "
            "URL (sqlite:///declinerisk.db, postgresql+psycopg://...)",
            show_default=False,
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            help="training config TOML; default: training/config.toml if present, "
            "else the built-in defaults",
            show_default=False,
        ),
    ] = None,
    mapping: MappingOption = None,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid",
            help="train without invalid rows (their count is reported) instead of stopping",
        ),
    ] = False,
    promote: Annotated[
        bool,
        typer.Option(
            "--promote", help="make this model the registry's champion whatever its PR AUC"
        ),
    ] = False,
    allow_feature: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-feature",
            metavar="NAME",
            help="keep an input whose own ROC AUC on the training offers is above 0.95 (the "
            "leak guard stops training otherwise); repeatable",
            show_default=False,
        ),
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option(
            help="folder for model folders; default: the config's (models)", show_default=False
        ),
    ] = None,
    no_tracking: Annotated[
        bool, typer.Option("--no-tracking", help="do not log the run and model to MLflow")
    ] = False,
) -> int:
    """Train a calibrated decline-risk model on past offers (= python -m declinerisk.train)."""
    from declinerisk.cli.training import train_and_report

    return train_and_report(
        data,
        config=config,
        mapping=mapping,
        drop_invalid=drop_invalid,
        promote=promote,
        models_dir=models_dir,
        no_tracking=no_tracking,
        allow_features=tuple(allow_feature or ()),
    )


@app.command("report")
@user_errors
def report(
    model: Annotated[
        Path, typer.Argument(help="model folder, e.g. models/latest", show_default=False)
    ],
) -> int:
    """Rebuild a model folder's report.html from its manifest and evaluation."""
    from declinerisk.artifacts.folder import read_manifest
    from declinerisk.monitoring.report import write_report

    folder = model.resolve()
    path = write_report(folder, read_manifest(folder))
    print(f"wrote {path}")
    return 0


@app.command("drift")
@user_errors
def drift(
    model: Annotated[str, typer.Argument(help="model folder or MLflow URI", show_default=False)],
    current: Annotated[
        str,
        typer.Option(
            help="CSV/Parquet of current offers, or the store's database URL",
            show_default=False,
        ),
    ],
    days: Annotated[
        int, typer.Option(min=1, help="window of scored offers, in days (store only)")
    ] = 30,
    mapping: MappingOption = None,
) -> int:
    """Population stability of current offers against the model's training data."""
    from rich.console import Console
    from rich.table import Table

    from declinerisk.artifacts.registry import load_reference
    from declinerisk.data.mapping import load_mapping
    from declinerisk.data.sources import is_database_url, read_table
    from declinerisk.monitoring import drift as drift_
    from declinerisk.scoring.scorer import Scorer

    loaded = load_reference(model)
    scorer = Scorer(loaded)
    if is_database_url(current):
        from declinerisk.store.database import opened_store

        with opened_store(current) as store:
            frame, scores = drift_.current_from_store(store, scorer.features, days)
    else:
        validated = scorer.validate(read_table(Path(current)), load_mapping(mapping), current)
        frame = validated.valid()
        scores = scorer.score(frame, reasons=False)["decline_probability"].to_numpy()
    if frame.empty:
        print("no current offers to compare", file=sys.stderr)
        return 1
    table = Table(
        title=f"Drift of {len(frame):,} current offers against model {loaded.version} "
        f"(PSI < {drift_.STABLE} stable, {drift_.STABLE}-{drift_.SIGNIFICANT} "
        f"moderate shift, > {drift_.SIGNIFICANT} significant shift)"
    )
    for name in ("input", "PSI", "verdict"):
        table.add_column(name)
    for line in drift_.drift_report(loaded.manifest.drift_reference, frame, scores):
        table.add_row(line.name, "-" if line.psi is None else f"{line.psi:.3f}", line.verdict)
    Console().print(table)
    return 0


@app.command("reasons")
@user_errors
def reasons(
    data: Annotated[
        str,
        typer.Option(help="past offers file, or the store's database URL", show_default=False),
    ],
    mapping: MappingOption = None,
    html: Annotated[Path, typer.Option(help="where to write the chart page")] = Path(
        "out/decline_reasons.html"
    ),
) -> int:
    """Why candidates said no: decline reasons by month, department and process length."""
    from rich.console import Console

    from declinerisk.cli import display
    from declinerisk.data.mapping import load_mapping
    from declinerisk.data.sources import read_offers
    from declinerisk.data.validation import validate_offers
    from declinerisk.monitoring.decline_reasons import html_page, summarise

    raw, _ = read_offers(data)
    offers = validate_offers(raw, load_mapping(mapping), source=str(data), purpose="train")
    summary = summarise(offers.valid())
    console = Console()
    for title, frame in (
        ("By days in process", summary.by_days),
        ("By month", summary.by_month),
        ("By department", summary.by_department),
    ):
        if not frame.empty:
            table = display.frame_table(f"Decline reasons: {title.lower()}", frame)
            display.print_whole(console, table)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(html_page(summary), encoding="utf-8")
    console.print(f"{summary.declines:,} declines of {summary.offers:,} offers; chart in {html}")
    return 0
