"""Schemathesis over /openapi.json against a running server: no 5xx for any generated request,
and every response matches the document (status code, content type, body schema). Bounded:
a fixed number of examples per operation, so it takes seconds, not minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api_server import ApiServer

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_api_conforms_to_its_openapi_document(tmp_path):
    # Workers 0: submitted jobs stay queued, so the run exercises HTTP only and stays fast.
    server = ApiServer(tmp_path / "server", "--workers", "0").start()
    _, secret = server.key()
    try:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/openapi.json",
             "--checks", CHECKS, "--max-examples", "15", "--phases", "examples,coverage,fuzzing",
             "--header", f"Authorization: Bearer {secret}", "--request-timeout", "30",
             "--generation-deterministic", "--suppress-health-check", "all", "--no-color"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout.lower()
