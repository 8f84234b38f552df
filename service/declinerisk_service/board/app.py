"""Wires the board into the service: its state, router, static files and sign-in redirect."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from declinerisk_service.board import views
from declinerisk_service.board.session import Signer
from declinerisk_service.settings import ServiceSettings

PACKAGE = resources.files("declinerisk_service") / "board"


class NotSignedInError(Exception):
    """No signed-in board session: every board route answers with the sign-in page."""


@dataclass(frozen=True)
class Board:
    signer: Signer
    templates: Environment
    uploads: Path


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PACKAGE / "templates")),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = views.pct
    env.filters["points"] = views.points
    return env


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Add ``/board``; without a session secret every board path says the board is off."""
    if settings.session_secret is None:
        app.add_api_route("/board", _off, include_in_schema=False)
        app.add_api_route(
            "/board/{rest:path}", _off, include_in_schema=False, methods=["GET", "POST"]
        )
        return
    from declinerisk_service.board import routes

    secret = settings.session_secret.get_secret_value().encode()
    app.state.board = Board(Signer(secret), templates(), settings.board_uploads_dir)
    app.mount("/board/static", StaticFiles(directory=str(PACKAGE / "static")), name="board-static")
    app.include_router(routes.router)
    app.add_exception_handler(NotSignedInError, _to_sign_in)


async def _off() -> Response:
    return PlainTextResponse(
        "The recruiter board is off: set DECLINERISK_SESSION_SECRET to enable it.", 503
    )


async def _to_sign_in(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse("/board/signin", status_code=303)
