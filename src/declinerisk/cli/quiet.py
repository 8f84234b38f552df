"""Keeping third-party chatter off a person's console during training.

MLflow logs INFO lines, prints registry messages ("Successfully registered model...") and
warns that our pyfunc's ``predict`` has no type hints (on purpose: MLflow would read a hint
as a request schema; the pyfunc validates through the contract). None of it says anything
new to the person training a model: declinerisk prints the run, the registered version and
its alias itself, and MLflow failures still surface, as exceptions that training reports in
one line. Used by the command (never at import); tests and library callers keep the
libraries' defaults.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

CHATTY_LOGGERS = ("mlflow", "alembic", "urllib3", "git")


@contextlib.contextmanager
def quiet_third_parties(*, mlflow: bool) -> Iterator[None]:
    """Only errors from third-party loggers reach the console inside this block.

    With ``mlflow`` (tracking is on), MLflow's own switch for its event logs and warnings is
    held on for the block; it counts nested uses, so MLflow's internal ones cannot undo it.
    """
    # Read by MLflow when it configures its loggers at import.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if not mlflow:
        yield
        return
    from mlflow.utils.autologging_utils.logging_and_warnings import (
        MlflowEventsAndWarningsBehaviorGlobally,
    )

    with MlflowEventsAndWarningsBehaviorGlobally(  # type: ignore[no-untyped-call]
        reroute_warnings=False, disable_event_logs=True, disable_warnings=True
    ):
        yield
