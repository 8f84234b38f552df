"""The ``declinerisk`` Typer app, its shared options and the rule that a user's mistake is one
line, never a traceback. Commands live in their own modules; :mod:`declinerisk.cli.main`
mounts them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
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
