"""``declinerisk events``: list the outbound event queue and re-send dead events.

A separate entry point (``main(argv)``) so the CLI can mount it as a sub-command; it reads the
store directly, so it works while the service is stopped.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import typer

from declinerisk.cli.app import app, user_errors
from declinerisk.events.outbox import DEAD, DELIVERED, PENDING, Outbox
from declinerisk.store.database import DEFAULT_URL, opened_store


def parser() -> argparse.ArgumentParser:
    events = argparse.ArgumentParser(
        prog="declinerisk events", description="the outbound risk event queue"
    )
    events.add_argument("--database-url", default=DEFAULT_URL, help="the service's store")
    sub = events.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the newest events and the count per status")
    listing.add_argument("--status", choices=[PENDING, DELIVERED, DEAD])
    listing.add_argument("--limit", type=int, default=50)
    resend = sub.add_parser("resend", help="queue dead events (or the given ids) again")
    resend.add_argument("--id", type=int, action="append", dest="ids", help="an event id")
    return events


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with opened_store(args.database_url) as store:
        outbox = Outbox(store)
        if args.command == "resend":
            print(f"re-sent {outbox.resend(args.ids)} events")
            return 0
        counts = outbox.counts()
        print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "no events")
        for event in outbox.listed(args.status, args.limit):
            print(
                f"{event.id}\t{event.status}\t{event.attempts}\t{event.event_type}\t"
                f"{event.offer_id}\t{event.url}\t{event.last_error or ''}"
            )
    return 0


@app.command(
    "events",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
@user_errors
def events_command(ctx: typer.Context) -> int:
    """List or re-send outbound risk events in the store's outbox (list|resend; --help)."""
    return main(ctx.args)
