"""A real HTTP(S) server on 127.0.0.1 for tests, answering from a function of the request."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# respond(method, path, body) -> (status, content type, body) or (status, content type, body, headers)
Responder = Callable[[str, str, bytes], tuple]


@contextmanager
def local_server(respond: Responder, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Yields the base URL; every request is recorded by ``respond`` as it sees fit."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            status, content_type, body, *extra = respond(self.command, self.path, self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def https_recording(body: bytes, folder) -> Iterator[tuple[str, str, list[str]]]:
    """An https server with a certificate from a throwaway CA, answering every GET with ``body``
    as audio/wav. Yields the base URL, the CA file (for HEARFLOW_CA_BUNDLE) and the paths asked for."""
    import trustme

    ca = trustme.CA()
    ca_file = f"{folder}/ca.pem"
    ca.cert_pem.write_to_path(ca_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    hits: list[str] = []

    def respond(method, path, _):
        hits.append(path)
        return 200, "audio/wav", body

    with local_server(respond, tls=context) as base:
        yield base, ca_file, hits
