"""What the route modules share: the server state, error responses for the OpenAPI document,
and running blocking work (SQLite, the pipeline) off the event loop."""

from __future__ import annotations

from fastapi import Request

from hearflow.http.errors import CATALOGUE
from hearflow.http.schemas import ErrorResponse


def api(request: Request):
    return request.app.state.api


def errors(*codes: str) -> dict:
    """OpenAPI responses for these error codes, grouped by status."""
    by_status: dict[int, list[str]] = {}
    for code in ("validation_error", "internal", *codes):
        by_status.setdefault(CATALOGUE[code][0], []).append(code)
    return {status: {"model": ErrorResponse, "description": ", ".join(names)} for status, names in by_status.items()}


AUTH_ERRORS = ("unauthorized", "forbidden")
