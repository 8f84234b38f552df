"""The ``declinerisk`` program: the library's commands plus those other packages register.

The service registers ``serve`` through the ``declinerisk.commands`` entry-point group, so the
library never imports the web layer and a batch-only install still has every other command.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points

from declinerisk.cli import commands, events, privacy, score  # noqa: F401  (they register commands)
from declinerisk.cli.app import app, run_command, user_errors

COMMAND_GROUP = "declinerisk.commands"


def mount_plugins() -> None:
    """Add each installed ``declinerisk.commands`` entry point as a command of its name."""
    known = {command.name for command in app.registered_commands}
    for entry in entry_points(group=COMMAND_GROUP):
        if entry.name not in known:
            app.command(entry.name)(user_errors(entry.load()))


def main(argv: Sequence[str] | None = None) -> int:
    mount_plugins()
    return run_command(app, argv, "declinerisk")
