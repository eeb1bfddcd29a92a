"""One error shape for every route, ``{"error": {"code", "message", "hint"}}``, one status per code.

The codes are the CLI's (``file_too_large``, ``not_audio``, …) plus the API's own. docs/api.md
lists the same catalogue; a test keeps the two equal.
"""

from __future__ import annotations

import logging

from hearflow.errors import (AnalysisError, ConfigError, HearflowError, InputError, NotFoundError,
                             StageUnavailableError)

log = logging.getLogger("hearflow.http")

# code → (HTTP status, what it means)
CATALOGUE: dict[str, tuple[int, str]] = {
    "unauthorized": (401, "no bearer key, or one that is unknown or revoked"),
    "credit_exhausted": (402, "the key has used all of its prepaid audio seconds"),
    "forbidden": (403, "the key lacks a scope the route needs; the message names it"),
    "signature_invalid": (403, "a signed URL whose path, expiry or signature was changed"),
    "not_found": (404, "no such route, job or call for this key"),
    "method_not_allowed": (405, "the route exists but not with this method"),
    "idempotency_conflict": (409, "the Idempotency-Key was used before with a different body"),
    "job_not_cancellable": (409, "the job is being processed; cancel it once it has finished, or delete it then"),
    "url_expired": (410, "a signed URL past its expiry"),
    "file_too_large": (413, "the upload is over the size limit (100 MB by default)"),
    "not_audio": (415, "the upload is not a recording (text, or no known audio signature)"),
    "unsupported_format": (415, "a known non-audio file type (PDF, image, archive, …)"),
    "unsupported_media_type": (415, "the request body is neither JSON nor multipart/form-data"),
    "validation_error": (422, "a field is missing, of the wrong type, or not allowed"),
    "empty_file": (422, "the upload is empty"),
    "corrupt_audio": (422, "the recording claims a format but cannot be decoded"),
    "unreadable_file": (422, "the recording cannot be read"),
    "insecure_url": (422, "audio_url is not https"),
    "url_not_allowed": (422, "an outbound URL points at a loopback, private or link-local address"),
    "url_unavailable": (422, "audio_url could not be fetched (a failed job's error)"),
    "unsupported_language": (422, "language is not a BCP-47 code the model knows"),
    "language_not_supported": (422, "the server's model cannot transcribe that language"),
    "unknown_stage": (422, "a format or stage name that is not registered"),
    "invalid_options": (422, "options a stage refuses (e.g. num_speakers below 1)"),
    "invalid_config": (422, "settings that cannot be used"),
    "daily_cap_reached": (429, "the key has used its daily audio seconds; try again tomorrow (UTC)"),
    "internal": (500, "a bug: reported without details; the server log has the request id"),
    "analysis_failed": (502, "the configured analyzer failed (the transcript is still stored)"),
    "worker_failed": (502, "with --prefect, the job's flow run crashed, failed or was cancelled (a failed job's error)"),
    "webhooks_not_configured": (503, "webhook_url was given but the server has no webhook secret"),
    "model_unavailable": (503, "the server's model cannot be loaded"),
    "stage_unavailable": (503, "a stage the server is configured with is not installed"),
    "store_unavailable": (503, "the store cannot be written (disk full, read-only, newer schema)"),
}

_BY_CLASS = ((NotFoundError, 404), (StageUnavailableError, 503), (AnalysisError, 502),
             (InputError, 422), (ConfigError, 422))


class ApiError(HearflowError):
    """An error raised by a route; its status comes from the catalogue."""


def status_of(code: str, exc: Exception | None = None) -> int:
    if code in CATALOGUE:
        return CATALOGUE[code][0]
    for cls, status in _BY_CLASS:  # a plugin's own code: its kind of error decides
        if isinstance(exc, cls):
            return status
    return 422 if isinstance(exc, HearflowError) else 500


def error_body(code: str, message: str, hint: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "hint": hint}}


def install_handlers(app) -> None:
    """Every failure becomes the one shape: coded errors, validation, unknown routes, and bugs."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    def respond(code: str, message: str, hint: str | None = None, status: int | None = None,
                headers: dict | None = None):
        return JSONResponse(error_body(code, message, hint), status_code=status or status_of(code),
                            headers=headers)

    @app.exception_handler(HearflowError)
    async def coded(request, exc: HearflowError):
        return respond(exc.code, exc.message, exc.hint, status_of(exc.code, exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        return respond("validation_error", validation_message(exc.errors()),
                       "see /docs for the fields of this route")

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        if exc.status_code == 405:
            return respond("method_not_allowed", f"{request.method} is not allowed on {request.url.path}",
                           headers=exc.headers)
        if exc.status_code == 404:
            return respond("not_found", f"no route {request.url.path}", "see /docs for the routes")
        # Starlette's own refusals of a body it cannot parse (bad multipart, bad JSON) are 400s;
        # here they are validation errors like any other, with the one status of that code.
        return respond("validation_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def bug(request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond("internal", "the server failed on this request",
                       "this is a bug; the server log has the details")


def validation_message(errors) -> str:
    """Pydantic's error list as one line: ``field: problem; field: problem``."""
    parts = []
    for error in list(errors)[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "header"))
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"
