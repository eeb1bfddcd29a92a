"""The call-analytics document: analyze a recording (synchronous), ask about a call, fetch one."""

from __future__ import annotations

import shutil
import uuid

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hearflow.http import ledger
from hearflow.http.adhoc import transcript_call
from hearflow.http.auth import require
from hearflow.http.errors import ApiError
from hearflow.http.keys import ApiKey
from hearflow.http.pipeline import run_call
from hearflow.http.routes.common import AUTH_ERRORS, api, errors
from hearflow.http.schemas import AnalyzeResponse, QuestionRequest, QuestionResponse
from hearflow.http.uploads import check_declared_length, spool
from hearflow.http.workers import job_settings, spool_dir
from hearflow.models import utc_now

SCOPE = "hear:transcribe"
router = APIRouter(prefix="/api/v1/analytics/calls", tags=["call analytics"])


@router.post("/analyze", response_model=AnalyzeResponse, summary="Analyze a recording (synchronous)",
             responses=errors(*AUTH_ERRORS, "credit_exhausted", "daily_cap_reached", "file_too_large", "not_audio",
                              "unsupported_format", "empty_file", "corrupt_audio", "unsupported_language",
                              "language_not_supported"))
async def analyze(request: Request, file: UploadFile = File(description="the recording, at most 100 MB"),
                  language: str | None = Form(default=None, max_length=35,
                                              description="BCP-47 code; left out or 'unknown': auto-detect"),
                  key: ApiKey = Depends(require(SCOPE))):
    """Transcribe with speakers, measure and analyse one recording, store it, and answer with the
    call-analytics shape. ``X-Hearflow-Units`` is the audio seconds billed."""
    state = api(request)
    check_declared_length(request.headers, state.settings.max_bytes)
    await run_in_threadpool(ledger.admit, state.db, key)
    request_id = "req_" + uuid.uuid4().hex[:20]
    spooled = await run_in_threadpool(spool, file, spool_dir(state.settings) / request_id, state.settings.max_bytes)
    try:
        result, ms = await run_in_threadpool(_analyze, state, key, spooled.path, language, request_id)
    finally:
        shutil.rmtree(spooled.path.parent, ignore_errors=True)
    return JSONResponse(result.to_response(), headers={"X-Hearflow-Units": ledger.units_header(ms)})


def _analyze(state, key: ApiKey, path, language: str | None, request_id: str):
    with state.analyze_lock:  # one analysis at a time on this engine; jobs have their own workers
        engine = state.analyze_engines.get(job_settings(state.settings.analyze, {"language": language}))
        engine.prepare()
        outcome = run_call(engine, state.store(), path)
    result = outcome.result
    ms = ledger.units_ms(result.audio_seconds)
    with state.db.write() as conn:
        ledger.charge(conn, key.id, ms, "analyze", request_id)
        conn.execute("INSERT OR IGNORE INTO api_key_calls (key_id, call_id, at) VALUES (?, ?, ?)",
                     [key.id, result.id, utc_now()])
    return result, ms


@router.post("/question", response_model=QuestionResponse, summary="Ask a question about a call",
             responses=errors(*AUTH_ERRORS, "not_found", "analysis_failed"))
def question(body: QuestionRequest, request: Request, key: ApiKey = Depends(require(SCOPE))):
    """Answer from a transcript given as text, or from a stored call by ``id``."""
    state = api(request)
    store = state.store()
    call = transcript_call(body.transcript) if body.transcript is not None else _owned_call(state, store, key, body.id)
    with state.analyze_lock:
        engine = state.analyze_engines.get(state.settings.analyze)
    answer = engine.ask(call, body.question)
    if body.id is not None:
        store.save_answer(call.id, answer)
    return {"question": answer.question, "answer": answer.answer, "quotes": list(answer.quotes),
            "analyzer": answer.analyzer, "model": answer.model}


@router.get("/{call_id}", response_model=AnalyzeResponse, summary="A stored call, in the analyze shape",
            responses=errors(*AUTH_ERRORS, "not_found"))
def get_call(call_id: str, request: Request, key: ApiKey = Depends(require(SCOPE))):
    state = api(request)
    return JSONResponse(_owned_call(state, state.store(), key, call_id).to_response())


def _owned_call(state, store, key: ApiKey, call_id: str):
    owned = state.db.one("SELECT 1 AS owned FROM api_key_calls WHERE key_id = ? AND call_id = ?", [key.id, call_id])
    call = store.find(call_id) if owned else None
    if call is None:  # another key's call is as invisible as a missing one
        raise ApiError(f"no call {call_id}", code="not_found")
    return call

