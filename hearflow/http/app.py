"""The ASGI app: routes, the one error shape, metrics and access log, and the worker pool that
starts with it (so /healthz answers only once the models are loaded)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from hearflow import __version__
from hearflow.http.errors import install_handlers
from hearflow.http.observability import AccessLog
from hearflow.http.routes import analytics, files, jobs, service
from hearflow.http.schemas import JobRequest
from hearflow.http.settings import ApiSettings
from hearflow.http.state import ApiState

DESCRIPTION = """Self-hosted call analytics and batch transcription.

Send `Authorization: Bearer <key>` (from `hearflow keys create`) on every route but `/healthz`,
`/metrics`, the docs and signed file URLs. Every error has the shape
`{"error": {"code", "message", "hint"}}`; docs/api.md lists the codes and their statuses."""


def create_app(settings: ApiSettings, *, start_workers: bool = True) -> FastAPI:
    state = ApiState.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from hearflow.http.worker_process import WorkerProcesses

        workers = WorkerProcesses(settings) if start_workers else None
        if workers is not None:
            workers.spawn()  # from this (the main) thread: see WorkerProcesses
        try:
            await run_in_threadpool(state.load_analyze_engine)
            if workers is not None:
                await run_in_threadpool(workers.wait_ready)
            yield
        finally:
            if workers is not None:
                await run_in_threadpool(workers.stop)

    app = FastAPI(title="hearflow API", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.api = state
    install_handlers(app)
    app.add_middleware(AccessLog, metrics=state.metrics)
    for module in (service, analytics, jobs, files):
        app.include_router(module.router)
    app.mount(service.DOCS_ASSETS, service.swagger_assets(), name="docs-assets")
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document, plus the JSON job body (that route parses JSON and multipart itself)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        job_schema = JobRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(job_schema.pop("$defs", {}))
        components["JobRequest"] = job_schema
        app.openapi_schema = schema
    return app.openapi_schema
