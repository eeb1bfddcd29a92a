"""A real webhook receiver on 127.0.0.1 for tests: answers from a script of statuses and keeps
every request it got."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW = "slow"  # a scripted answer that never comes in time: the sender must time out
SLOW_SECONDS = 5.0  # a stalled handler gives up after this, or as soon as the receiver stops


@dataclass(frozen=True)
class Received:
    path: str
    headers: Message  # case-insensitive: headers["x-hearflow-delivery"] works
    body: bytes


class Receiver:
    """``with Receiver([500, 200]) as hook:`` — the n-th request gets the n-th answer, the last
    one repeats. ``hook.url`` is where to post, ``hook.requests`` what came in. With ``genuine``,
    a request it rejects is answered 401, as a real receiver would."""

    def __init__(self, answers=(200,), genuine: Callable[[Received], bool] | None = None):
        self.answers = list(answers)
        self.genuine = genuine
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_answer(self, request: Received):
        with self._lock:
            self.requests.append(request)
            return self.answers[min(len(self.requests), len(self.answers)) - 1]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Received(self.path, self.headers, body)
                answer = receiver._next_answer(request)
                if receiver.genuine is not None and not receiver.genuine(request):
                    answer = 401
                if answer == SLOW:
                    receiver._stopping.wait(SLOW_SECONDS)
                    answer = 200
                try:
                    self.send_response(answer)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender gave up waiting and closed the connection
                    pass

            def log_message(self, *args):
                pass

        return Handler
