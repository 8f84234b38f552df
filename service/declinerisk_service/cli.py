"""``declinerisk serve``: the service's command, registered with the library's CLI through the
``declinerisk.commands`` entry point (the library never imports the service)."""

from __future__ import annotations

from typing import Annotated

import typer

ASGI_APP = "declinerisk_service.asgi:app"


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

    from declinerisk.artifacts.registry import load_reference
    from declinerisk.errors import DeclineRiskError
    from declinerisk.store.database import open_store
    from declinerisk_service.settings import ServiceSettings

    try:
        settings = ServiceSettings()  # fail here, once, readably, not in every worker
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise DeclineRiskError(f"invalid DECLINERISK_* settings: {problems}") from None
    # A truncated or altered model is refused here with its reason, before anything listens.
    loaded = load_reference(settings.model, tracking_uri=settings.mlflow_tracking_uri)
    # Migrate once here, so N workers do not race to create a fresh SQLite file's tables
    # (on PostgreSQL an advisory lock orders them too, e.g. instances on several hosts).
    open_store(settings.database_url).engine.dispose()
    print(f"model {loaded.version} verified, store migrated; starting {workers} worker(s)")
    del loaded  # each worker loads its own: this copy would live as long as the server
    uvicorn.run(
        ASGI_APP, host=host, port=port, workers=workers, log_level=log_level, access_log=False
    )
    return 0
