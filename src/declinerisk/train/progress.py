"""Progress of a training run, as events passed to a callback.

The library never prints: each step reports that it started (with its place among the steps),
what it is doing inside a long step, notes and warnings a person should read, and that it
finished. The command line renders these with rich; tests and other callers may collect or
ignore them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    STARTED = "started"  # a step began: ``done`` steps are finished of ``total``
    STATUS = "status"  # what a long step is doing now (replaces the last status)
    DETAIL = "detail"  # a line worth keeping, e.g. one candidate's cross-fitted ROC AUC
    NOTE = "note"  # something about the data or the run the analyst should know
    WARNING = "warning"  # a finding that did not stop training (``topic`` names it)
    FINISHED = "finished"  # the step ended (also when it raised)


@dataclass(frozen=True)
class ProgressEvent:
    step: str
    kind: Kind
    message: str = ""
    done: int | None = None
    total: int | None = None
    topic: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def silent(event: ProgressEvent) -> None:
    """The default callback: training runs without anyone watching."""


@dataclass(frozen=True)
class Reporter:
    """What a step is handed to report through: its name and the run's callback."""

    step: str
    callback: ProgressCallback = silent

    def status(self, message: str, done: int | None = None, total: int | None = None) -> None:
        self.callback(ProgressEvent(self.step, Kind.STATUS, message, done, total))

    def detail(self, message: str) -> None:
        self.callback(ProgressEvent(self.step, Kind.DETAIL, message))

    def note(self, message: str) -> None:
        self.callback(ProgressEvent(self.step, Kind.NOTE, message))

    def warning(self, topic: str, message: str) -> None:
        self.callback(ProgressEvent(self.step, Kind.WARNING, message, topic=topic))


class Plan:
    """Numbers the steps of a run of ``total`` steps as they start."""

    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    @contextmanager
    def step(self, name: str, message: str) -> Iterator[Reporter]:
        """Report ``name`` as started, hand the step a :class:`Reporter`, report it finished
        (also when it raises, so a display can stop its spinner)."""
        self.callback(ProgressEvent(name, Kind.STARTED, message, self.done, self.total))
        try:
            yield Reporter(name, self.callback)
        finally:
            self.done += 1
            self.callback(ProgressEvent(name, Kind.FINISHED, message, self.done, self.total))
