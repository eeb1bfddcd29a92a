"""The batch-jobs document: submit (JSON or multipart), poll, page through, cancel or delete."""

from __future__ import annotations

import json
import os
import shutil
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from hearflow.http import jobs, ledger
from hearflow.http.auth import require
from hearflow.http.errors import ApiError, validation_message
from hearflow.http.keys import ApiKey
from hearflow.http.routes.common import AUTH_ERRORS, api, errors
from hearflow.http.schemas import Deleted, Job, JobList, JobRequest
from hearflow.http.uploads import check_declared_length, spool
from hearflow.http.views import job_view
from hearflow.http.workers import job_dir, spool_dir

SCOPES = ("transcribe:jobs", "hear:transcribe")
MAX_IDEMPOTENCY_KEY = 255
router = APIRouter(prefix="/v1/transcription/jobs", tags=["transcription jobs"])

_MULTIPART_FIELDS = {
    "type": "object", "required": ["audio"],
    "properties": {
        "audio": {"type": "string", "format": "binary", "description": "the recording"},
        "channel": {"type": "string", "enum": ["true", "false"]},
        "diarize": {"type": "string", "enum": ["true", "false"]},
        "language": {"type": "string", "maxLength": 35},
        "formats": {"type": "string", "description": "comma-separated, or the field repeated"},
        "redact": {"type": "string", "description": "pii, or kinds comma-separated (card, phone, email, id, number)"},
        "vocabulary": {"type": "string", "description": "names and terms, comma-separated or the field repeated"},
        "webhook_url": {"type": "string", "maxLength": 2048},
        **{name: {"type": "string", "pattern": "^[0-9]{1,2}$"} for name in ("num_speakers", "min_speakers", "max_speakers")},
    },
}
_SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
    "multipart/form-data": {"schema": _MULTIPART_FIELDS},
}}}


@router.post("", status_code=202, response_model=Job, openapi_extra=_SUBMIT_BODY, summary="Submit a job",
             responses={200: {"model": Job, "description": "the job an earlier submit with this Idempotency-Key made"},
                        **errors(*AUTH_ERRORS, "credit_exhausted", "daily_cap_reached", "idempotency_conflict",
                                 "file_too_large", "not_audio", "unsupported_format", "unsupported_media_type",
                                 "empty_file", "insecure_url", "url_not_allowed", "webhooks_not_configured")})
async def submit(request: Request, key: ApiKey = Depends(require(*SCOPES)),
                 idempotency_key: str | None = Header(default=None, max_length=MAX_IDEMPOTENCY_KEY,
                                                      description="retries with this key and body return the first job")):
    """Queue a job: an ``audio_url`` (JSON) or an ``audio`` upload (multipart). Answers 202 at
    once; poll the job, or give ``webhook_url``."""
    state = api(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    job_id = jobs.new_job_id()
    spooled = None
    if content_type == "application/json":
        fields = _parse(await _json_body(request))
    elif content_type == "multipart/form-data":
        check_declared_length(request.headers, state.settings.max_bytes)
        async with request.form(max_files=1, max_fields=32) as form:
            upload = form.get("audio")
            if upload is None or isinstance(upload, str):
                raise ApiError("multipart submits need the recording as an 'audio' file part", code="validation_error")
            fields = _parse(_form_fields(form))
            if fields.get("audio_url"):
                raise ApiError("give audio_url or an audio part, not both", code="validation_error")
            _check_submit(state, key, fields)
            spooled = await run_in_threadpool(spool, upload, spool_dir(state.settings) / job_id,
                                              state.settings.max_bytes)
    else:
        raise ApiError(f"send JSON or multipart/form-data, not {content_type or 'no content type'}",
                       code="unsupported_media_type")
    if spooled is None:
        if not fields.get("audio_url"):
            raise ApiError("give audio_url, or post multipart with an audio part", code="validation_error")
        _check_submit(state, key, fields)
    try:
        submitted = await run_in_threadpool(
            jobs.submit, state.db, key.id, fields, job_id=job_id, audio_url=fields.get("audio_url"),
            spool_path=str(spooled.path) if spooled else None, audio_sha256=spooled.sha256 if spooled else None,
            idempotency_key=idempotency_key,
            reserved_ms=ledger.units_ms(spooled.seconds) if spooled and spooled.seconds else None,
            admit=lambda conn: ledger.admit(conn, key))
    except BaseException:
        if spooled:
            shutil.rmtree(spooled.path.parent, ignore_errors=True)
        raise
    if not submitted.created and spooled:  # a retry: the first submit's upload is the one kept
        shutil.rmtree(spooled.path.parent, ignore_errors=True)
    request.state.job_id = submitted.job["id"]
    view = await run_in_threadpool(_view, state, request, submitted.job)
    return JSONResponse(view, status_code=202 if submitted.created else 200)


async def _json_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ApiError("the body is not valid JSON", code="validation_error") from None
    if not isinstance(body, dict):
        raise ApiError("the body must be a JSON object", code="validation_error")
    return body


def _form_fields(form) -> dict:
    """Multipart text fields as JSON would give them: booleans, numbers, lists."""
    fields: dict = {}
    for name in set(form.keys()) - {"audio"}:
        values = [value for value in form.getlist(name) if isinstance(value, str)]
        if not values:
            raise ApiError(f"{name}: expected a text field, not a file", code="validation_error")
        if name in ("formats", "redact", "vocabulary"):
            fields[name] = [part.strip() for value in values for part in value.split(",") if part.strip()]
        elif name in ("channel", "diarize"):
            if values[-1] not in ("true", "false"):
                raise ApiError(f"{name}: expected true or false, not {values[-1]!r}", code="validation_error")
            fields[name] = values[-1] == "true"
        elif name in ("num_speakers", "min_speakers", "max_speakers"):
            if not values[-1].isdigit():
                raise ApiError(f"{name}: expected a whole number, not {values[-1]!r}", code="validation_error")
            fields[name] = int(values[-1])
        else:
            fields[name] = values[-1]
    return fields


def _parse(data: dict) -> dict:
    try:
        request = JobRequest.model_validate(data)
    except ValidationError as exc:
        raise ApiError(validation_message(exc.errors()), code="validation_error",
                       hint="see /docs for the fields of a job") from None
    return request.model_dump(exclude_none=True, exclude_defaults=True)


def _check_submit(state, key: ApiKey, fields: dict) -> None:
    url = fields.get("audio_url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError("audio_url must be an https URL", code="insecure_url",
                           hint="serve the recording over https, or upload it as multipart")
        state.policy.check(url, field="audio_url", resolve=False)
    hook = fields.get("webhook_url")
    if hook is not None:
        parts = urlsplit(hook)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError("webhook_url must be an http(s) URL", code="validation_error")
        state.policy.check(hook, field="webhook_url", resolve=False)
        if not (state.settings.webhook_secret or os.environ.get("HEARFLOW_WEBHOOK_SECRET")):
            raise ApiError("this server has no webhook secret to sign events with", code="webhooks_not_configured",
                           hint="start it with HEARFLOW_WEBHOOK_SECRET set, or poll the job instead")
    ledger.admit(state.db, key)


def _view(state, request: Request, job: dict) -> dict:
    call = state.call_part(job["call_id"]) if job["status"] == "completed" and job["call_id"] else None
    return job_view(job, call, state.signer, state.base_url(request), state.settings.offload_bytes)


def _units_headers(job: dict) -> dict:
    return {"X-Hearflow-Units": ledger.units_header(job["units_ms"])} if job["units_ms"] is not None else {}


@router.get("", response_model=JobList, summary="List jobs, newest first",
            responses=errors(*AUTH_ERRORS))
def list_jobs(request: Request, key: ApiKey = Depends(require(*SCOPES)),
              limit: int = Query(default=20, ge=1, le=100),
              cursor: str | None = Query(default=None, pattern="^[0-9]{1,18}$",
                                         description="next_cursor of the previous page")):
    state = api(request)
    rows, next_seq = jobs.page(state.db, key.id, limit=limit, cursor=int(cursor) if cursor else None)
    return JSONResponse({"data": [_view(state, request, row) for row in rows],
                         "next_cursor": str(next_seq) if next_seq is not None else None})


@router.get("/{job_id}", response_model=Job, summary="A job, with its result once completed",
            responses=errors(*AUTH_ERRORS, "not_found"))
def get_job(job_id: str, request: Request, key: ApiKey = Depends(require(*SCOPES))):
    state = api(request)
    job = jobs.get(state.db, key.id, job_id)
    request.state.job_id = job_id
    return JSONResponse(_view(state, request, job), headers=_units_headers(job))


@router.delete("/{job_id}", response_model=Job | Deleted, summary="Cancel a queued job, or delete a finished one",
               responses=errors(*AUTH_ERRORS, "not_found", "job_not_cancellable"))
def delete_job(job_id: str, request: Request, key: ApiKey = Depends(require(*SCOPES))):
    """Queued: cancelled (the job stays, status ``cancelled``). Processing: 409. Completed,
    failed or cancelled: the job, its files and its stored call data are deleted."""
    state = api(request)
    request.state.job_id = job_id
    job, cancelled = jobs.cancel(state.db, key.id, job_id)
    if cancelled:
        shutil.rmtree(spool_dir(state.settings) / job_id, ignore_errors=True)
        return JSONResponse(_view(state, request, job))
    if job["status"] == "processing":
        raise ApiError(f"job {job_id} is being processed", code="job_not_cancellable",
                       hint="wait until it completes, then delete it")
    removed = jobs.delete_finished(state.db, key.id, job_id)
    shutil.rmtree(job_dir(state.settings, job_id), ignore_errors=True)
    if removed["call_id"] and jobs.call_is_unowned(state.db, removed["call_id"]):
        state.store().delete(removed["call_id"])
        state.forget_call(removed["call_id"])
    return JSONResponse({"id": job_id, "deleted": True})
