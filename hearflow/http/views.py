"""Jobs as clients see them: the batch-jobs document's shape, with signed URLs for files, and a
large result moved out to ``result_url``."""

from __future__ import annotations

import json

from hearflow.http.signed_urls import UrlSigner, file_path
from hearflow.models import CallResult

RESULT_FILE = "result.json"


def batch_speaker(name: str | None) -> str | None:
    """SPEAKER_1 → speaker_0: the batch document counts speakers from zero."""
    if name is None:
        return None
    prefix, _, number = name.rpartition("_")
    return f"speaker_{int(number) - 1}" if prefix.upper() == "SPEAKER" and number.isdigit() else name.lower()


def call_part(call: CallResult) -> tuple[dict, int]:
    """What a job result takes from its stored call, and that part's JSON size."""
    segments = [{"start": s.start, "end": s.end, "text": s.text, "speaker": batch_speaker(s.speaker),
                 "channel": s.channel} for s in call.segments]
    words = [{"start": w.start, "end": w.end, "text": w.text, "speaker": batch_speaker(w.speaker),
              "channel": w.channel, "probability": w.probability} for w in call.words]
    part = {"text": call.text, "speakers": len(call.speaker_timing), "audio_seconds": round(call.audio_seconds, 3),
            "language": call.language, "mode": call.mode, "notes": list(call.notes), "segments": segments,
            "words": words, "call_id": call.id}
    return part, len(json.dumps(part))


def job_result(job: dict, part: dict, signer: UrlSigner, base_url: str) -> dict:
    outputs = json.loads(job["outputs"] or "{}")
    return {**part, "formats": {name: signer.sign(base_url, file_path(job["id"], filename))
                                for name, filename in outputs.items()}}


def job_view(job: dict, call: tuple[dict, int] | None, signer: UrlSigner, base_url: str, offload_bytes: int) -> dict:
    """``call`` is the stored call's part of the result and its size (see :func:`call_part`)."""
    view = {
        "id": job["id"], "status": job["status"], "created_at": job["created_at"],
        "started_at": job["started_at"], "completed_at": job["completed_at"],
        "request": json.loads(job["request"]),
        "error": {"code": job["error_code"], "message": job["error_message"]} if job["error_code"] else None,
        "result": None, "result_url": None,
    }
    if job["status"] == "completed" and call is not None:
        part, size = call
        if size > offload_bytes:
            view["result_url"] = signer.sign(base_url, file_path(job["id"], RESULT_FILE))
        else:
            view["result"] = job_result(job, part, signer, base_url)
    return view
