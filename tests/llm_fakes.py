"""A local stand-in for a language-model vendor: a real HTTP server on 127.0.0.1 that answers in
the vendor's wire format, so the real SDKs are exercised end to end. Also a small support call."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hearflow.models import CallResult, Segment
from hearflow.media.synth import SUPPORT_CALL
from hearflow_metrics.conversation import ConversationMetric

MAX_STALL = 2.0  # seconds a stalled reply waits at most, so a timeout test always ends


@dataclass(frozen=True)
class Scripted:
    """One HTTP answer: status, JSON body (or ``raw`` bytes, sent as they are), headers, and how
    long to stall before sending it."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    raw: bytes | None = None


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class FakeVendor:
    """Answers the n-th POST with the n-th scripted reply (the last one repeats) and keeps every
    request it received."""

    def __init__(self):
        self.replies: list[Scripted] = []
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        # A short poll keeps shutdown, which waits for the next poll, quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, *replies: Scripted) -> None:
        self.replies = list(replies)

    def start(self) -> FakeVendor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, received: Received) -> Scripted:
        with self._lock:
            self.requests.append(received)
            return self.replies[min(len(self.requests), len(self.replies)) - 1]


def _handler(vendor: FakeVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            reply = vendor._answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if reply.stall:
                vendor._stopping.wait(min(reply.stall, MAX_STALL))
            payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                for name, value in {"content-type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: that is what a timeout test wants

        def log_message(self, format, *args):
            pass

    return Handler


# -- vendor wire formats ----------------------------------------------------------------------

def anthropic_tool_call(tool: str, tool_input: Any, *, model: str = "claude-fake-1",
                        input_tokens: int = 120, output_tokens: int = 40) -> Scripted:
    return Scripted({
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "tool_use", "id": "toolu_fake", "name": tool, "input": tool_input}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    })


def chat_completion(content: str, *, model: str = "fake-chat-1", prompt_tokens: int = 120,
                    completion_tokens: int = 40) -> Scripted:
    return Scripted({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })


def rate_limited() -> Scripted:
    # Both vendors accept this error body; retry-after 0 keeps the SDK's wait to its short backoff.
    return Scripted({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                    status=429, headers={"retry-after": "0"})


# -- a call to analyse ------------------------------------------------------------------------

def support_call() -> CallResult:
    """The synthetic support call as text (no audio, no speech model), with its conversation metrics."""
    segments = tuple(Segment(start=index * 5.0, end=index * 5.0 + 4.0, text=text, speaker=speaker,
                             channel=int(speaker[-1]) - 1)
                     for index, (speaker, text) in enumerate(SUPPORT_CALL))
    result = CallResult(id="c0ffee0000000001", source="support.wav", sha256="0" * 64, format="wav",
                        mode="channel", diarized=True, language="en", model="tiny.en",
                        audio_seconds=len(segments) * 5.0, channels=2, sample_rate=8000, segments=segments,
                        speaker_timing={"SPEAKER_1": 16.0, "SPEAKER_2": 16.0})
    metrics = ConversationMetric().measure(result).model_dump(mode="json")
    return result.model_copy(update={"metrics": {"conversation": metrics}})
