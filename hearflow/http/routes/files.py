"""Signed URLs: a job's format files and offloaded results. The signature is the authorisation
(no bearer key), so these links can be handed to a browser or another service."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from hearflow.http.errors import ApiError
from hearflow.http.routes.common import api, errors
from hearflow.http.signed_urls import FILES_PREFIX
from hearflow.http.views import RESULT_FILE, job_result
from hearflow.http.workers import job_dir

router = APIRouter(prefix=FILES_PREFIX, tags=["signed files"])
TYPES = {".srt": "application/x-subrip", ".vtt": "text/vtt", ".rttm": "text/plain", ".txt": "text/plain"}


@router.get("/{job_id}/{name}", summary="A job's file, by signed URL",
            responses={200: {"description": "the file", "content": {"application/octet-stream": {}}},
                       **errors("signature_invalid", "url_expired", "not_found")})
def signed_file(job_id: str, name: str, request: Request,
                expires: str | None = Query(default=None, max_length=20),
                signature: str | None = Query(default=None, max_length=128)):
    state = api(request)
    state.signer.verify(request.url.path, expires, signature)
    job = state.db.one("SELECT * FROM api_jobs WHERE id = ? AND status = 'completed'", [job_id])
    if job is None:
        raise ApiError(f"job {job_id} has no files (deleted, or not completed)", code="not_found")
    if name == RESULT_FILE:
        call = state.call_part(job["call_id"])
        if call is None:
            raise ApiError(f"the call of job {job_id} was deleted", code="not_found")
        return JSONResponse(job_result(job, call[0], state.signer, state.base_url(request)))
    folder = job_dir(state.settings, job_id)
    path = folder / name
    if path.parent != folder or not path.is_file():
        raise ApiError(f"job {job_id} has no file {name}", code="not_found")
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)
