"""The board's pages. Thin handlers: check the session (and CSRF on every form), call the
store or the scorer, render a template. No candidate value is ever put in a URL: offers are
linked by the opaque id of their latest score record and searched by POST."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from declinerisk.scoring.scorer import Scorer
from declinerisk.store import open_offers as offers_
from declinerisk_service.auth import grant_of, key_digest
from declinerisk_service.board import uploads, views
from declinerisk_service.board.app import Board, NotSignedInError
from declinerisk_service.board.session import COOKIE, LIFETIME_SECONDS, Session
from declinerisk_service.deps import PredictorDep, RuntimeDep, StoreDep
from declinerisk_service.routes.outcomes import record_outcome
from declinerisk_service.schemas import OutcomeIn

router = APIRouter(prefix="/board", include_in_schema=False)
Token = Annotated[str | None, Form()]


async def get_board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


BoardDep = Annotated[Board, Depends(get_board)]


async def signed_in(request: Request, board: BoardDep) -> Session:
    session = board.signer.load(request.cookies.get(COOKIE))
    if session is None or not board.signer.signed_in(session, request.app.state.key_grants):
        raise NotSignedInError
    return session


SessionDep = Annotated[Session, Depends(signed_in)]


def _check_csrf(board: Board, session: Session, token: str | None) -> None:
    if not board.signer.csrf_ok(session, token):
        raise HTTPException(403, "the form's CSRF token is missing or invalid; reload the page")


def _page(
    board: Board, session: Session, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    html = board.templates.get_template(name).render(
        csrf=board.signer.csrf(session), signed_in=session.key is not None, **context
    )
    response = HTMLResponse(html, status_code=status)
    _set_cookie(response, board, session)
    response.headers["Cache-Control"] = "no-store"
    return response


def _set_cookie(response: Response, board: Board, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        board.signer.dump(session),
        max_age=LIFETIME_SECONDS,
        path="/board",
        httponly=True,
        samesite="strict",
        secure=False,  # served on 127.0.0.1 or behind a TLS proxy; see the README
    )


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/signin")
def sign_in_page(request: Request, board: BoardDep) -> HTMLResponse:
    session = board.signer.load(request.cookies.get(COOKIE)) or board.signer.new()
    return _page(board, session, "signin.html")


@router.post("/signin")
def sign_in(
    request: Request,
    board: BoardDep,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Token = None,
) -> Response:
    session = board.signer.load(request.cookies.get(COOKIE))
    if session is None or not board.signer.csrf_ok(session, csrf_token):
        raise HTTPException(403, "the form's CSRF token is missing or invalid; reload the page")
    grant = grant_of(key_digest(api_key.strip()), request.app.state.key_grants)
    if grant is None or "board" not in grant.scopes:
        message = "That key cannot open the board: it needs the board scope."
        return _page(board, board.signer.new(), "signin.html", 401, error=message)
    response = _see("/board")
    _set_cookie(response, board, board.signer.new(board.signer.key_fingerprint(grant)))
    return response


@router.post("/signout")
def sign_out(board: BoardDep, session: SessionDep, csrf_token: Token = None) -> Response:
    _check_csrf(board, session, csrf_token)
    response = _see("/board/signin")
    _set_cookie(response, board, board.signer.new())
    return response


@router.get("")
def board_page(
    board: BoardDep,
    session: SessionDep,
    store: StoreDep,
    department: str | None = None,
    band: str | None = None,
) -> HTMLResponse:
    chosen = offers_.Filters(department or None, band if band in views.BANDS else None)
    everything = offers_.all_open_offers(store)
    return _page(
        board,
        session,
        "board.html",
        offers=offers_.filtered(everything, chosen),
        departments=offers_.departments(everything),
        bands=views.BANDS,
        chosen=chosen,
    )


@router.post("/search")
def search(
    board: BoardDep,
    session: SessionDep,
    store: StoreDep,
    offer_id: Annotated[str, Form()] = "",
    csrf_token: Token = None,
) -> Response:
    _check_csrf(board, session, csrf_token)
    found = offers_.history(store, offer_id.strip()) if offer_id.strip() else []
    if found:
        return _see(f"/board/offers/{found[-1].id}")
    return _page(board, session, "notfound.html", 404)


@router.get("/offers/{ref}")
def offer_page(board: BoardDep, session: SessionDep, store: StoreDep, ref: int) -> HTMLResponse:
    record = offers_.score_by_ref(store, ref)
    if record is None:
        return _page(board, session, "notfound.html", 404)
    scores = offers_.history(store, record.offer_id)
    latest = scores[-1]
    chart = views.risk_chart([s.scored_at for s in scores], [s.probability for s in scores])
    return _page(
        board,
        session,
        "offer.html",
        offer=latest,
        scores=scores,
        chart=chart,
        outcome=offers_.outcome_of(store, record.offer_id),
        notes=offers_.action_notes(store, record.offer_id),
        reasons=views.DECLINE_REASONS,
    )


@router.post("/offers/{ref}/outcome")
def record_offer_outcome(
    board: BoardDep,
    session: SessionDep,
    store: StoreDep,
    ref: int,
    outcome: Annotated[str, Form()] = "",
    decline_reason: Annotated[str, Form()] = "",
    csrf_token: Token = None,
) -> Response:
    _check_csrf(board, session, csrf_token)
    record = offers_.score_by_ref(store, ref)
    if record is None:
        raise HTTPException(404, "no such offer")
    if outcome not in ("accepted", "declined") or (
        outcome == "declined" and decline_reason not in views.DECLINE_REASONS
    ):
        raise HTTPException(422, "choose accepted, or declined with one of the listed reasons")
    body = OutcomeIn(
        offer_id=record.offer_id,
        event_id=f"board-{uuid.uuid4().hex}",
        outcome=outcome,  # type: ignore[arg-type]
        decline_reason=decline_reason if outcome == "declined" else None,
        decided_at=datetime.now(UTC),
    )
    record_outcome(store, body, source="board")
    return _see(f"/board/offers/{ref}")


@router.post("/offers/{ref}/action-done")
def action_done(
    board: BoardDep,
    session: SessionDep,
    store: StoreDep,
    ref: int,
    note: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Token = None,
) -> Response:
    _check_csrf(board, session, csrf_token)
    record = offers_.score_by_ref(store, ref)
    if record is None:
        raise HTTPException(404, "no such offer")
    offers_.add_action_note(store, record.offer_id, record.action, note.strip() or None)
    return _see(f"/board/offers/{ref}")


@router.get("/upload")
def upload_page(board: BoardDep, session: SessionDep) -> HTMLResponse:
    return _page(board, session, "upload.html")


@router.post("/upload")
def upload(
    board: BoardDep,
    session: SessionDep,
    runtime: RuntimeDep,
    predictor: PredictorDep,
    file: UploadFile,
    csrf_token: Token = None,
) -> HTMLResponse:
    _check_csrf(board, session, csrf_token)
    suffix = PurePath(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".parquet"):
        return _page(board, session, "upload.html", 422, error="Choose a .csv or .parquet file.")
    if not isinstance(predictor, Scorer):
        raise HTTPException(503, "the loaded model cannot score files")
    token, folder = uploads.new_folder(board.uploads)
    source = folder / f"upload{suffix}"
    with source.open("wb") as handle:
        while chunk := file.file.read(1 << 20):
            handle.write(chunk)
    result = uploads.score_upload(predictor, runtime.store, source, token)
    return _page(board, session, "upload.html", result=result)


@router.get("/uploads/{token}/scored.csv")
def download(board: BoardDep, session: SessionDep, token: str) -> Response:
    path = uploads.scored_file(board.uploads, token)
    if path is None:
        raise HTTPException(404, "no such scored file (uploads are kept for a day)")
    return FileResponse(path, media_type="text/csv", filename="scored.csv")


@router.get("/model")
def model_page(board: BoardDep, session: SessionDep, predictor: PredictorDep) -> HTMLResponse:
    return _page(board, session, "model.html", info=predictor.info, report=predictor.info.report)


@router.get("/model/report")
def model_report(session: SessionDep, predictor: PredictorDep) -> Response:
    report = predictor.info.report
    if report is None:
        raise HTTPException(404, "the current model has no report.html")
    response = FileResponse(report, media_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    return response
