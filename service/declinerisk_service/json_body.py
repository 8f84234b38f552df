"""A JSON request body read and validated by the route itself, as FastAPI would, for less.

FastAPI's body parameter costs its dependency machinery on every request, more than scoring
one offer. The scoring route reads its body here instead, with FastAPI's rules and errors:
JSON only for a JSON content type (``application/json`` or ``+json``); the standard library's
reading of it (``NaN`` and integers of any size included) behind orjson's faster one; 400 for a
body that cannot be read or decoded at all; pydantic's validation in FastAPI's mode; refusals
as ``RequestValidationError`` at ``body...`` locations, so the error body is the service's usual
one (``tests/service/test_scores_body.py`` checks them against a FastAPI body parameter).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import orjson
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
PARSE_ERROR = "There was an error parsing the body"
# orjson reads an integer beyond 64 bits as a float; the standard library keeps it whole. A
# body with a run of 19 digits goes to the standard library: found by turning every digit
# into "0" and looking for nineteen "0"s, ~18 us for 100 offers where the regular expression
# \d{19} took ~240 us (it retries at every digit).
DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
LONG_NUMBER = b"0" * 19


async def validated_body(request: Request, model: type[Model]) -> Model:
    """The request's body as ``model``; 422 (or 400 for an unreadable body) as FastAPI says."""
    try:
        raw = await request.body()
        data = _json(raw) if raw and _is_json(request.headers.get("content-type")) else raw
    except (HTTPException, RequestValidationError):
        raise
    except Exception:  # a client gone mid-body, text that is not UTF-8, nesting too deep
        raise HTTPException(400, PARSE_ERROR) from None
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _json(raw: bytes) -> Any:
    if LONG_NUMBER not in raw.translate(DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # maybe NaN or Infinity, which the standard library (and so FastAPI) reads
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from None
