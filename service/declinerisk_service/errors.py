"""One stable JSON error body for every refusal, and the mapping of library errors to statuses.

Body: ``{"error": {"status": 422, "code": "invalid_request", "message": "...",
"details": [{"field": "offers.0.days_in_process", "message": "..."}]}}``. Messages never echo
submitted values: candidate data stays out of error bodies and logs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from declinerisk.errors import (
    DeclineRiskError,
    InvalidRowsError,
    ModelLoadError,
    ModelNotLoadedError,
    SchemaError,
)

log = logging.getLogger("declinerisk.service")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorInfo(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorBody(BaseModel):
    error: ErrorInfo


REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": CODES[status].replace("_", " ")}
    for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 500, 503)
}


def error_response(
    status: int,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        error=ErrorInfo(
            status=status,
            code=CODES.get(status, "error"),
            message=message,
            details=[ErrorDetail(**d) for d in details or []],
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field_details(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            # FastAPI puts the byte offset where a field name belongs; it is not a field.
            position = next((p for p in error.get("loc", ()) if isinstance(p, int)), None)
            where = f" at character {position}" if position is not None else ""
            reason = str(error.get("ctx", {}).get("error", "")).split(":")[0]
            message = f"invalid JSON{where}" + (f": {reason}" if reason else "")
            details.append({"field": "body", "message": message})
            continue
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        details.append({"field": ".".join(location) or "body", "message": str(error.get("msg"))})
    return details


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "the request does not follow the schema", _field_details(exc))


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, str(exc.detail), headers=headers)


async def _library(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ModelNotLoadedError | ModelLoadError):
        # The library's message names server paths: the kind only, the details in the log.
        log.warning("model unavailable: %s", type(exc).__name__)
        return error_response(
            503, "no model is available to score; retry later", headers={"Retry-After": "30"}
        )
    if isinstance(exc, InvalidRowsError):
        # Row, column and reason only: the library's message quotes the refused values.
        details = [
            {"field": f"offers.{p.row - 1}.{p.column}", "message": p.reason} for p in exc.problems
        ]
        return error_response(422, "some offers do not follow the contract", details)
    if isinstance(exc, SchemaError):
        return error_response(422, "the offers do not follow the contract")
    log.warning("refused request: %s", type(exc).__name__)
    return error_response(400, "the request cannot be processed")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The type only: the message could quote candidate data.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(500, "internal error; the request was not processed")


def install(app: FastAPI) -> None:
    handlers: dict[Any, Any] = {
        RequestValidationError: _validation,
        StarletteHTTPException: _http,
        DeclineRiskError: _library,
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
