"""The open routes: health, metrics, and the docs page with Swagger UI served from this server."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response

from hearflow import __version__
from hearflow.http.routes.common import api
from hearflow.http.schemas import Health

router = APIRouter()
DOCS_ASSETS = "/docs/assets"


@router.get("/healthz", response_model=Health, tags=["service"], summary="Ready to take requests")
def healthz(request: Request):
    """Answers once every worker has loaded its model."""
    return {"status": "ok", "version": __version__, "workers": api(request).settings.workers}


@router.get("/metrics", tags=["service"], summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {}}, "description": "the text exposition format"}})
def metrics(request: Request):
    state = api(request)
    body, content_type = state.metrics.render(state.db)
    return Response(body, media_type=content_type)


@router.get("/docs", include_in_schema=False)
def docs():
    return get_swagger_ui_html(openapi_url="/openapi.json", title="hearflow API",
                               swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")


def swagger_assets():
    """Swagger UI's files from the swagger-ui-bundle wheel: /docs works with no internet."""
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    return StaticFiles(directory=swagger_ui_path)
