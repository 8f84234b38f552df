"""``declinerisk train`` on the console: training's progress events and outcome, with rich."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table

from declinerisk.train.progress import Kind, ProgressEvent
from declinerisk.train.run import TrainResult

TEST_METRICS = (
    "roc_auc",
    "bayes_roc_auc",
    "pr_auc",
    "brier",
    "log_loss",
    "ece",
    "top_decile_capture",
    "decline_rate",
)


class RichProgress:
    """Shows the running step as a spinner and prints notes, warnings and details as lines.

    Spinners show only on a terminal (rich's own rule), so a log file keeps just the lines.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind in (Kind.STARTED, Kind.STATUS):
            self._show(event)
        elif event.kind is Kind.FINISHED:
            self._stop()
        elif event.kind is Kind.NOTE:
            self.console.print(f"[yellow]note:[/] {escape(event.message)}")
        elif event.kind is Kind.WARNING:
            self.console.print(f"[bold red]{escape(event.topic)}:[/] {escape(event.message)}")
        else:
            self.console.print(escape(event.message))

    def _show(self, event: ProgressEvent) -> None:
        text = escape(event.message)
        if event.kind is Kind.STARTED and event.total:
            text = (
                f"[dim]{event.done + 1 if event.done is not None else '?'}/{event.total}[/] {text}"
            )
        if self._status is None:
            self._status = self.console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def summary_table(result: TrainResult) -> Table:
    """Test metrics of the evaluated model and the baseline (another family), side by side."""
    metrics = result.manifest.metrics
    estimator = result.manifest.estimator
    table = Table(title=f"declinerisk model {result.manifest.version}: test metrics")
    table.add_column("test metric")
    table.add_column(estimator.family.replace("_", " "), justify="right")
    table.add_column(f"baseline {estimator.baseline}".strip(), justify="right")
    test, baseline = metrics.test.model_dump(), metrics.baseline_test.model_dump()
    for name in TEST_METRICS:
        if name in test:
            table.add_row(name, f"{test[name]:.4f}", f"{baseline.get(name, float('nan')):.4f}")
    return table


def train_and_report(
    data: str,
    *,
    config: Path | None = None,
    mapping: Path | None = None,
    drop_invalid: bool = False,
    promote: bool = False,
    models_dir: Path | None = None,
    no_tracking: bool = False,
    allow_features: Sequence[str] = (),
) -> int:
    """Train with the command line's options and print the outcome; the exit code.

    Library errors propagate to the command (one line, exit 2); a failure to write the
    model is reported here, saying that the previous model is intact.
    """
    from threadpoolctl import threadpool_limits

    from declinerisk.cli.quiet import quiet_third_parties
    from declinerisk.data.mapping import load_mapping
    from declinerisk.train.config import load_config
    from declinerisk.train.run import run

    console = Console(stderr=False)
    default_config = Path("training/config.toml")
    target = models_dir or Path("models")
    progress = RichProgress(console)
    try:
        loaded = load_config(config or (default_config if default_config.is_file() else None))
        if models_dir is not None:
            loaded = loaded.model_copy(update={"models_dir": models_dir})
        target = loaded.models_dir
        column_mapping = load_mapping(mapping)
        tracking_uri = (
            None
            if no_tracking
            else (os.environ.get("MLFLOW_TRACKING_URI") or loaded.tracking.tracking_uri)
        )
        with (
            quiet_third_parties(mlflow=tracking_uri is not None),
            threadpool_limits(limits=loaded.threads),
        ):
            result = run(
                loaded,
                data,
                column_mapping,
                drop_invalid=drop_invalid,
                promote=promote,
                tracking_uri=tracking_uri,
                progress=progress,
                allow_features=allow_features,
            )
    except OSError as exc:  # read-only folder, full disk...: nothing was published
        print(f"error: cannot write the model: {exc}. {_previous_model(target)}", file=sys.stderr)
        return 2
    _print_outcome(console, result)
    return 0


def _print_outcome(console: Console, result: TrainResult) -> None:
    from declinerisk.cli.display import bands_text

    console.print(summary_table(result))
    estimator = result.manifest.estimator
    params = ", ".join(f"{k}={v}" for k, v in sorted(estimator.params.model_dump().items()))
    console.print(f"model: {estimator.family} ({params}), calibration: {estimator.calibration}")
    console.print(bands_text(result.manifest.bands))
    console.print(f"saved: {result.folder} (models/latest now points here)")
    if result.tracking:
        t = result.tracking
        console.print(
            f"MLflow: run {t.run_id} at {t.tracking_uri}; registered "
            f"{t.registered_model} v{t.model_version} as {t.alias}: {t.reason}"
        )


def _previous_model(models_dir: Path) -> str:
    latest = models_dir / "latest"
    if latest.exists():
        return f"The previous model ({latest} -> {latest.resolve().name}) is intact."
    return "No previous model was there."
