"""The ``declinerisk`` command (Typer). Each subcommand imports what it needs when it runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from declinerisk.errors import DeclineRiskError

DEFAULT_MODEL = "models/latest"

HELP = (
    "Learn from your past job offers which candidates are likely to decline, and score the "
    "open ones: a decline probability, a risk band, the reasons and the action that fits."
    "\n\n"
    "Try it on demo data: declinerisk demo-data --out data/offers.csv; declinerisk train "
    "--data data/offers.csv; declinerisk demo-data --open --out data/open.csv; declinerisk "
    "score data/open.csv. Each command has --help."
)

app = typer.Typer(
    name="declinerisk",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ModelOption = Annotated[
    str,
    typer.Option(
        help="model folder (models/latest, models/<version>) or MLflow URI "
        "(models:/declinerisk@champion)",
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        help="column mapping TOML for an export with its own column names "
        "(see training/mapping.example.toml); default: the file uses contract names",
        show_default=False,
    ),
]


class Engine(StrEnum):
    """Where ``declinerisk score`` runs."""

    local = "local"
    spark = "spark"


def user_errors(command: Callable[..., int]) -> Callable[..., int]:
    """Run ``command``; a user's mistake is one line on stderr and exit code 2, never a
    traceback (bugs still show theirs)."""
    import functools

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> int:
        import pandas as pd

        try:
            code = command(*args, **kwargs)
        except DeclineRiskError as exc:
            _fail(str(exc))
        except pd.errors.EmptyDataError:
            _fail("the input file is empty: expected a header row with the offer columns")
        except OSError as exc:  # a missing, unreadable or unwritable file or folder
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        if code:
            raise typer.Exit(code)
        return 0

    return guarded


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(2)


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
    from declinerisk.sources import table_format, write_table
    from declinerisk.synthetic import demo_offers

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
    from declinerisk import train as training

    return training.train_and_report(
        data,
        config=config,
        mapping=mapping,
        drop_invalid=drop_invalid,
        promote=promote,
        models_dir=models_dir,
        no_tracking=no_tracking,
        allow_features=tuple(allow_feature or ()),
    )


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
            "Parquet folder out, on Spark (pip install 'declinerisk[spark]', Java 17+)",
        ),
    ] = Engine.local,
    master: Annotated[
        str, typer.Option(help="with --engine spark: the Spark master (local[N], spark://...)")
    ] = "local[2]",
) -> int:
    """Score open offers from a file: probability, band, reasons and action per offer."""
    from rich.console import Console

    from declinerisk import display
    from declinerisk.actions import load_playbook
    from declinerisk.mapping import load_mapping
    from declinerisk.registry import load_reference
    from declinerisk.scoring import Scorer, score_file
    from declinerisk.sources import count_rows, table_format

    console = Console()
    if engine is Engine.spark:
        from declinerisk.spark_scoring import score_with_spark
        from declinerisk.spark_session import SparkSettings

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


@app.command("report")
@user_errors
def report(
    model: Annotated[
        Path, typer.Argument(help="model folder, e.g. models/latest", show_default=False)
    ],
) -> int:
    """Rebuild a model folder's report.html from its manifest and evaluation."""
    from declinerisk.artifacts import read_manifest
    from declinerisk.report import write_report

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

    from declinerisk import drift as drift_
    from declinerisk.mapping import load_mapping
    from declinerisk.registry import load_reference
    from declinerisk.scoring import Scorer
    from declinerisk.sources import is_database_url, read_table

    loaded = load_reference(model)
    if not loaded.manifest.drift_reference:
        _fail("this model's manifest has no drift reference; retrain it")
    scorer = Scorer(loaded)
    if is_database_url(current):
        from declinerisk.store import open_store

        frame, scores = drift_.current_from_store(open_store(current), scorer.features, days)
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

    from declinerisk import display
    from declinerisk.mapping import load_mapping
    from declinerisk.reasons_analytics import html_page, summarise
    from declinerisk.sources import read_offers
    from declinerisk.validation import validate_offers

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


@app.command("serve")
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: critical, error, warning, info or debug")
    ] = "info",
) -> int:
    """Run the scoring service; settings come from DECLINERISK_* variables (see README)."""
    import uvicorn
    from pydantic import ValidationError
    from service.settings import ServiceSettings

    from declinerisk.registry import load_reference

    try:
        settings = ServiceSettings()  # fail here, once, readably, not in every worker
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        _fail(f"invalid DECLINERISK_* settings: {problems}")
        raise  # unreachable: _fail exits
    # A truncated or altered model is refused here with its reason, before anything listens.
    loaded = load_reference(settings.model, tracking_uri=settings.mlflow_tracking_uri)
    print(f"model {loaded.version} verified; starting {workers} worker(s)")
    uvicorn.run(
        "service.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )
    return 0


@app.command(
    "events",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
@user_errors
def events(ctx: typer.Context) -> int:
    """List or re-send outbound risk events in the store's outbox (list|resend; --help)."""
    from declinerisk import events_cli

    return events_cli.main(ctx.args)


privacy_app = typer.Typer(
    help="Candidate data protection: erase or export an offer's records, purge by age, "
    "read the audit trail. Reads the store directly, so it works while the service is stopped.",
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")

DatabaseOption = Annotated[
    str, typer.Option(envvar="DECLINERISK_DATABASE_URL", help="the service's store")
]
SpoolOption = Annotated[
    Path,
    typer.Option(envvar="DECLINERISK_SPOOL_PATH", help="the service's spool of refused records"),
]
OfferIdArgument = Annotated[
    str, typer.Argument(help="the offer id, as sent to the service", show_default=False)
]
DEFAULT_SPOOL = Path("declinerisk.spool.jsonl")


@privacy_app.command("erase")
@user_errors
def privacy_erase(
    offer_id: OfferIdArgument,
    database_url: DatabaseOption = "sqlite:///declinerisk.db",
    spool: SpoolOption = DEFAULT_SPOOL,
) -> int:
    """Erase every record of an offer id (scores, outcomes, spooled records, outbound events);
    it is refused from then on. Prefer the admin route while the service runs."""
    from declinerisk import audit, privacy
    from declinerisk.store import open_store

    store = open_store(database_url)
    try:
        done = privacy.erase(store, offer_id, privacy.erase_spooled(spool))
        audit.record(store, audit.Entry("erase", "erased", "cli", detail=done.detail()))
    finally:
        store.engine.dispose()
    print(f"erased: {done.detail()}")
    return 0


@privacy_app.command("export")
@user_errors
def privacy_export(
    offer_id: OfferIdArgument,
    database_url: DatabaseOption = "sqlite:///declinerisk.db",
    spool: SpoolOption = DEFAULT_SPOOL,
) -> int:
    """Print everything held about an offer id as JSON (exit 2 when nothing is held)."""
    from declinerisk import audit, privacy
    from declinerisk.store import open_store

    store = open_store(database_url)
    try:
        found = privacy.export_with_spool(store, offer_id, spool)
        outcome = "found" if found else "not_found"
        audit.record(store, audit.Entry("export", outcome, "cli"))
    finally:
        store.engine.dispose()
    if found is None:
        _fail("nothing is held about this offer id")
        return 2  # unreachable: _fail exits
    print(found.model_dump_json(indent=2))
    return 0


@privacy_app.command("purge")
@user_errors
def privacy_purge(
    days: Annotated[
        int,
        typer.Option(
            min=1, envvar="DECLINERISK_RETENTION_DAYS", help="purge records older than this"
        ),
    ],
    keep_training: Annotated[
        bool,
        typer.Option(
            envvar="DECLINERISK_RETENTION_KEEP_TRAINING",
            help="keep each labelled offer's training row and its outcome",
        ),
    ] = False,
    database_url: DatabaseOption = "sqlite:///declinerisk.db",
) -> int:
    """Purge score records, outcomes and outbound events older than the window (for cron)."""
    from datetime import UTC, datetime

    from declinerisk import audit
    from declinerisk.retention import RetentionPolicy, purge
    from declinerisk.store import open_store

    store = open_store(database_url)
    try:
        done = purge(store, RetentionPolicy(days, keep_training), datetime.now(UTC))
        audit.record(store, audit.Entry("purge", "done", "cli", detail=done.detail()))
    finally:
        store.engine.dispose()
    print(f"purged records older than {days} days: {done.detail()}")
    return 0


@privacy_app.command("audit")
@user_errors
def privacy_audit(
    database_url: DatabaseOption = "sqlite:///declinerisk.db",
    limit: Annotated[int, typer.Option(min=1, help="newest rows to show")] = 50,
) -> int:
    """The audit trail, newest first: time, key id, scope, action, outcome, counts."""
    from declinerisk import audit
    from declinerisk.store import open_store

    store = open_store(database_url)
    try:
        rows = audit.listed(store, limit)
    finally:
        store.engine.dispose()
    for row in rows:
        print(
            f"{row.at.isoformat()}\t{row.key_id or '-'}\t{row.scope}\t{row.action}\t"
            f"{row.outcome}\t{row.detail or ''}"
        )
    return 0


def run_command(command: Any, argv: Sequence[str] | None, prog_name: str) -> int:
    """Run a Typer app (or one command as a whole program) on ``argv``; the exit code."""
    click_command = typer.main.get_command(command)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        click_command.main(args=args, prog_name=prog_name, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(app, argv, "declinerisk")
