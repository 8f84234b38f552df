"""The interactive API docs (Swagger UI), served with their JS and CSS from the package.

FastAPI's default `/docs` page loads Swagger UI from a CDN and renders blank offline; this one
loads the vendored copy in ``service/declinerisk_service/static/swagger-ui`` (see its README).
ReDoc is off.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
STATIC_URL = "/static"
DOCS_URL = "/docs"


def install(app: FastAPI) -> None:
    """Serve ``/static`` and the Swagger UI page at ``/docs`` (the app has ``docs_url=None``)."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        assets = f"{root}{STATIC_URL}/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            # Swagger UI would otherwise fetch a validity badge from swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
