"""The ``declinerisk`` command. Each subcommand imports what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from declinerisk.errors import DeclineRiskError

DEFAULT_MODEL = "models/latest"


def _demo_data(args: argparse.Namespace) -> int:
    from declinerisk.sources import write_table
    from declinerisk.synthetic import demo_offers

    frame = demo_offers(args.rows, args.seed, open_=args.open)
    write_table(frame, args.out)
    kind = "open" if args.open else "past"
    print(f"wrote {len(frame):,} {kind} demo offers to {args.out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from declinerisk import train

    return train.main(args.train_args)


def _score(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from declinerisk.actions import load_playbook
    from declinerisk.mapping import load_mapping
    from declinerisk.registry import load_reference
    from declinerisk.scoring import Scorer, score_file
    from declinerisk.sources import count_rows

    scorer = Scorer(load_reference(args.model), load_playbook(args.playbook))
    mapping = load_mapping(args.mapping)
    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"Scoring {args.input}", total=count_rows(args.input))
        report = score_file(
            scorer,
            args.input,
            args.out,
            mapping,
            reasons=not args.no_reasons,
            keep_riskiest=args.show,
            progress=lambda n: bar.advance(task, n),
        )
    rejected = f"{report.rows_rejected:,} row{'' if report.rows_rejected == 1 else 's'}"
    console.print(
        f"scored {report.rows_scored:,} of {report.rows_read:,} offers with model "
        f"{scorer.version} into {report.output}; {rejected} rejected "
        f"(listed with row numbers and reasons in {report.errors})",
        highlight=False,
        soft_wrap=True,
    )
    if args.show and len(report.riskiest):
        table = Table(title=f"The {len(report.riskiest)} riskiest offers")
        for name in (
            "offer",
            "decline risk",
            "band",
            *(("top reason", "action") if not args.no_reasons else ()),
        ):
            table.add_column(name)
        for _, row in report.riskiest.iterrows():
            cells = [
                str(row["offer_id"]),
                f"{row['decline_probability']:.0%}",
                str(row["risk_band"]),
            ]
            if not args.no_reasons:
                reason = row["reason_1_sentence"]
                said = reason if isinstance(reason, str) else scorer.writer.playbook.no_signal
                cells += [said, str(row["action"])]
            table.add_row(*cells)
        console.print(table)
    return 0


def _report(args: argparse.Namespace) -> int:
    from declinerisk.artifacts import read_manifest
    from declinerisk.report import write_report

    folder = Path(args.model).resolve()
    path = write_report(folder, read_manifest(folder))
    print(f"wrote {path}")
    return 0


def _drift(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from declinerisk import drift
    from declinerisk.mapping import load_mapping
    from declinerisk.registry import load_reference
    from declinerisk.scoring import Scorer
    from declinerisk.sources import is_database_url, read_table

    model = load_reference(args.model)
    if not model.manifest.drift_reference:
        print("error: this model's manifest has no drift reference; retrain it", file=sys.stderr)
        return 2
    scorer = Scorer(model)
    if is_database_url(args.current):
        from declinerisk.store import open_store

        frame, scores = drift.current_from_store(
            open_store(args.current), scorer.features, args.days
        )
    else:
        validated = scorer.validate(
            read_table(Path(args.current)), load_mapping(args.mapping), args.current
        )
        frame = validated.valid()
        scores = scorer.score(frame, reasons=False)["decline_probability"].to_numpy()
    if frame.empty:
        print("no current offers to compare", file=sys.stderr)
        return 1
    table = Table(
        title=f"Drift of {len(frame):,} current offers against model {model.version} "
        f"(PSI < {drift.STABLE} stable, {drift.STABLE}-{drift.SIGNIFICANT} "
        f"moderate shift, > {drift.SIGNIFICANT} significant shift)"
    )
    for name in ("input", "PSI", "verdict"):
        table.add_column(name)
    for line in drift.drift_report(model.manifest.drift_reference, frame, scores):
        table.add_row(line.name, "-" if line.psi is None else f"{line.psi:.3f}", line.verdict)
    Console().print(table)
    return 0


def _reasons(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from declinerisk.mapping import load_mapping
    from declinerisk.reasons_analytics import html_page, summarise
    from declinerisk.sources import read_offers
    from declinerisk.validation import validate_offers

    raw, _ = read_offers(args.data)
    offers = validate_offers(
        raw, load_mapping(args.mapping), source=str(args.data), purpose="train"
    )
    summary = summarise(offers.valid())
    console = Console()
    for title, frame in (
        ("By days in process", summary.by_days),
        ("By month", summary.by_month),
        ("By department", summary.by_department),
    ):
        if frame.empty:
            continue
        table = Table(title=f"Decline reasons: {title.lower()}")
        table.add_column(frame.index.name or "")
        for column in frame.columns:
            table.add_column(str(column), justify="right")
        for index, row in frame.iterrows():
            table.add_row(str(index), *(str(v) for v in row.tolist()))
        console.print(table)
    args.html.parent.mkdir(parents=True, exist_ok=True)
    args.html.write_text(html_page(summary), encoding="utf-8")
    console.print(
        f"{summary.declines:,} declines of {summary.offers:,} offers; chart in {args.html}"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError
    from service.settings import ServiceSettings

    from declinerisk.registry import load_reference

    try:
        settings = ServiceSettings()  # fail here, once, readably, not in every worker
    except ValidationError as exc:
        print(f"error: invalid DECLINERISK_* settings:\n{exc}", file=sys.stderr)
        return 2
    # A truncated or altered model is refused here with its reason, before anything listens.
    model = load_reference(settings.model, tracking_uri=settings.mlflow_tracking_uri)
    print(f"model {model.version} verified; starting {args.workers} worker(s)")
    uvicorn.run(
        "service.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="declinerisk", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write realistic demo offers")
    demo.add_argument("--rows", type=int, default=10_000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", type=Path, required=True, help=".csv or .parquet")
    demo.add_argument("--open", action="store_true", help="open offers (no outcome)")
    demo.set_defaults(run=_demo_data)

    train = sub.add_parser(
        "train", help="train a model (same as python -m declinerisk.train)", add_help=False
    )
    train.add_argument("train_args", nargs=argparse.REMAINDER)
    train.set_defaults(run=_train)

    score = sub.add_parser("score", help="score open offers from a file")
    score.add_argument("input", type=Path, help="CSV or Parquet of open offers")
    score.add_argument("--out", type=Path, required=True, help="scored CSV to write")
    score.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="model folder, models/latest, or models:/declinerisk@champion",
    )
    score.add_argument("--mapping", type=Path, default=None, help="column mapping TOML")
    score.add_argument(
        "--playbook",
        type=Path,
        default=None,
        help="playbook TOML with your own wording (default: the shipped one)",
    )
    score.add_argument(
        "--no-reasons", action="store_true", help="probabilities and bands only (faster)"
    )
    score.add_argument("--show", type=int, default=10, help="print this many riskiest offers")
    score.set_defaults(run=_score)

    report = sub.add_parser("report", help="rebuild a model folder's report.html")
    report.add_argument("model", help="model folder, e.g. models/latest")
    report.set_defaults(run=_report)

    drift_cmd = sub.add_parser("drift", help="population stability of current offers")
    drift_cmd.add_argument("model", help="model folder or MLflow URI")
    drift_cmd.add_argument(
        "--current",
        required=True,
        help="CSV/Parquet of current offers, or the store's database URL",
    )
    drift_cmd.add_argument("--days", type=int, default=30, help="window of scored offers (store)")
    drift_cmd.add_argument("--mapping", type=Path, default=None)
    drift_cmd.set_defaults(run=_drift)

    reasons = sub.add_parser("reasons", help="decline-reason analytics")
    reasons.add_argument("--data", required=True, help="past offers file, or the store's URL")
    reasons.add_argument("--mapping", type=Path, default=None)
    reasons.add_argument("--html", type=Path, default=Path("out/decline_reasons.html"))
    reasons.set_defaults(run=_reasons)

    serve = sub.add_parser("serve", help="run the scoring service (settings: DECLINERISK_*)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except DeclineRiskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code
