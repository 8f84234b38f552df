"""``declinerisk score``: score a file of open offers in this process or on Spark."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from declinerisk.cli.app import DEFAULT_MODEL, MappingOption, ModelOption, app, user_errors


class Engine(StrEnum):
    """Where ``declinerisk score`` runs."""

    local = "local"
    spark = "spark"


@app.command("score")
@user_errors
def score(
    offers: Annotated[
        Path, typer.Argument(help="CSV or Parquet file of open offers", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="scored CSV or Parquet to write; refused rows go beside it to <name>.errors.csv"
        ),
    ] = Path("out/scored.csv"),
    model: ModelOption = DEFAULT_MODEL,
    mapping: MappingOption = None,
    playbook: Annotated[
        Path | None,
        typer.Option(
            help="playbook TOML with your own wording; default: the shipped one",
            show_default=False,
        ),
    ] = None,
    no_reasons: Annotated[
        bool, typer.Option("--no-reasons", help="probabilities and bands only (faster)")
    ] = False,
    show: Annotated[
        int, typer.Option(min=0, help="print this many riskiest offers (0: none)")
    ] = 10,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local: this process, streaming the file; spark: Parquet file or folder in, "
            "Parquet folder out, on Spark (the spark extra: pip install -e '.[spark]'; Java 17+)",
        ),
    ] = Engine.local,
    master: Annotated[
        str, typer.Option(help="with --engine spark: the Spark master (local[N], spark://...)")
    ] = "local[2]",
) -> int:
    """Score open offers from a file: probability, band, reasons and action per offer."""
    from rich.console import Console

    from declinerisk.artifacts.registry import load_reference
    from declinerisk.cli import display
    from declinerisk.data.mapping import load_mapping
    from declinerisk.data.sources import count_rows, table_format
    from declinerisk.explain.actions import load_playbook
    from declinerisk.scoring.scorer import Scorer, score_file

    console = Console()
    if engine is Engine.spark:
        from declinerisk.scoring.spark import score_with_spark
        from declinerisk.scoring.spark_session import SparkSettings

        console.print(f"Scoring {offers} on Spark ({master})", highlight=False)
        result = score_with_spark(
            model,
            offers,
            out,
            load_mapping(mapping),
            playbook=playbook,
            reasons=not no_reasons,
            settings=SparkSettings(master=master),
            keep_riskiest=show,
        )
        report, scorer = result.report, result.scorer
    else:
        table_format(out)  # an unknown output type is refused before any work
        total = count_rows(offers)  # also refuses a missing or unreadable input, before any work
        scorer = Scorer(load_reference(model), load_playbook(playbook))
        offers_mapping = load_mapping(mapping)
        with display.progress(console) as bar:
            task = bar.add_task(f"Scoring {offers}", total=total)
            report = score_file(
                scorer,
                offers,
                out,
                offers_mapping,
                reasons=not no_reasons,
                keep_riskiest=show,
                progress=lambda n: bar.advance(task, n),
            )
    console.print(display.score_summary(report, scorer.version), highlight=False, soft_wrap=True)
    if show and len(report.riskiest):
        table = display.riskiest_table(
            report.riskiest, reasons=not no_reasons, no_signal=scorer.writer.playbook.no_signal
        )
        console.print(table)
    return 0
