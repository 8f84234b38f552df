"""A JSON request body read and validated by the route itself, as FastAPI would, for less.

FastAPI's body parameter costs its dependency machinery on every request, more than scoring
one offer. The scoring route reads its body here instead (FastAPI's documented pattern for a
body the route parses itself, declared with ``openapi_extra``; see :func:`documented`) with
the same rules and the same errors: JSON only for a JSON content type (``application/json``
or ``+json``), the standard library's reading of it (``NaN`` included) behind orjson's faster
one, pydantic's validation with FastAPI's mode, and refusals as ``RequestValidationError`` at
``body...`` locations, so the error body is the service's usual one
(``tests/service/test_scores_body.py`` checks them against a FastAPI body parameter).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
PARSE_ERROR = "There was an error parsing the body"


async def validated_body(request: Request, model: type[Model]) -> Model:
    """The request's body as ``model``; 422 (or 400 for undecodable text) as FastAPI says."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    data = _json(raw) if _is_json(request.headers.get("content-type")) else raw
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose JSON body is ``model`` (in the components)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def document_models(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add ``models`` (and the models they use) to the app's OpenAPI components: FastAPI
    adds only the models of parameters it reads itself."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            components = generate().setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                found = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, schema in {**found.pop("$defs", {}), model.__name__: found}.items():
                    components.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _json(raw: bytes) -> Any:
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
    except ValueError:  # not UTF-8 text
        raise HTTPException(400, PARSE_ERROR) from None
