"""https audio URLs: fetched with retries and a size limit, analysed, and never kept on disk."""

from __future__ import annotations

import json
import ssl

import pytest
import trustme

from local_http import local_server


@pytest.fixture(scope="module")
def https_server(tmp_path_factory, stereo_wav):
    """A real https server on 127.0.0.1 with a certificate from a throwaway CA."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    body = stereo_wav.read_bytes()
    failures = {"/flaky.wav": 2}
    hits = []

    def respond(method, path, _):
        hits.append(path)
        if failures.get(path, 0) > 0:
            failures[path] -= 1
            return 503, "text/plain", b"busy"
        return 200, "audio/wav", body

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    with local_server(respond, tls=context) as base:
        yield base, ca_file, hits


def test_https_url_is_analysed_and_the_download_deleted(cli, tmp_path, https_server):
    base, ca_file, hits = https_server
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    url = f"{base}/flaky.wav"
    done = cli("analyze", url, "--json", "-q", "--db", tmp_path / "h.db",
               env={"HEARFLOW_CA_BUNDLE": str(ca_file), "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["source"]["name"] == url and data["transcript"].startswith("SPEAKER_1: ")
    assert hits.count("/flaky.wav") == 3  # two 503s, then the recording
    # The bytes were processed from a temp file (hearflow-*) and deleted; other tools' files may remain.
    assert [p.name for p in scratch.iterdir() if p.name.startswith("hearflow-")] == []


@pytest.mark.parametrize("url_part, extra, code", [
    ("http://127.0.0.1:9/call.wav", [], "insecure_url"),
    ("{base}/big.wav", ["--max-size", "0.5"], "file_too_large"),
])
def test_bad_urls_are_coded_errors(cli, tmp_path, https_server, url_part, extra, code):
    base, ca_file, _ = https_server
    done = cli("analyze", url_part.format(base=base), *extra, "--db", tmp_path / "h.db",
               env={"HEARFLOW_CA_BUNDLE": str(ca_file)})
    assert done.returncode == 1 and f"error[{code}]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
