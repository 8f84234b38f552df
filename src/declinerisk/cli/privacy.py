"""``declinerisk privacy``: erase or export an offer's records, purge by age, read the audit
trail. Reads the store directly, so it works while the service is stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from declinerisk.cli.app import _fail, app, user_errors

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
    from declinerisk.store import audit, privacy
    from declinerisk.store.database import opened_store

    with opened_store(database_url) as store:
        done = privacy.erase(store, offer_id, privacy.erase_spooled(spool))
        audit.record(store, audit.Entry("erase", "erased", "cli", detail=done.detail()))
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
    from declinerisk.store import audit, privacy
    from declinerisk.store.database import opened_store

    with opened_store(database_url) as store:
        found = privacy.export_with_spool(store, offer_id, spool)
        outcome = "found" if found else "not_found"
        audit.record(store, audit.Entry("export", outcome, "cli"))
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

    from declinerisk.store import audit
    from declinerisk.store.database import opened_store
    from declinerisk.store.retention import RetentionPolicy, purge

    with opened_store(database_url) as store:
        done = purge(store, RetentionPolicy(days, keep_training), datetime.now(UTC))
        audit.record(store, audit.Entry("purge", "done", "cli", detail=done.detail()))
    print(f"purged records older than {days} days: {done.detail()}")
    return 0


@privacy_app.command("audit")
@user_errors
def privacy_audit(
    database_url: DatabaseOption = "sqlite:///declinerisk.db",
    limit: Annotated[int, typer.Option(min=1, help="newest rows to show")] = 50,
) -> int:
    """The audit trail, newest first: time, key id, scope, action, outcome, counts."""
    from declinerisk.store import audit
    from declinerisk.store.database import opened_store

    with opened_store(database_url) as store:
        rows = audit.listed(store, limit)
    for row in rows:
        print(
            f"{row.at.isoformat()}\t{row.key_id or '-'}\t{row.scope}\t{row.action}\t"
            f"{row.outcome}\t{row.detail or ''}"
        )
    return 0
