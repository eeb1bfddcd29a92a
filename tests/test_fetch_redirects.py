"""Redirects of https URLs against real https servers on 127.0.0.1: followed https → https only,
within a limit, every hop checked; a bad certificate is not retried; errors name the URL."""

from __future__ import annotations

import ssl

import pytest
import trustme

from hearflow.errors import HearflowError, InputError
from hearflow.media.fetch import MAX_REDIRECTS, download, local_copy
from local_http import local_server


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory):
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


def _tls(ca) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def servers(ca_file, stereo_wav):
    """An https server that redirects as its paths say, a second https server with the recording,
    and a plain http server that would serve it too."""
    ca, _ = ca_file
    hits: list[str] = []
    body = stereo_wav.read_bytes()

    def recording(method, path, _):
        hits.append(path)
        if path.startswith("/notes"):
            return 200, "audio/wav", b"These are call notes, not a recording.\n"
        return 200, "audio/wav", body

    with local_server(recording, tls=_tls(ca)) as other, local_server(recording) as plain:
        def redirecting(method, path, _):
            hits.append(path)
            target = {"/to-https.wav": f"{other}/call.wav", "/to-http.wav": f"{plain}/call.wav",
                      "/relative.wav": "/to-https.wav", "/loop.wav": "/loop.wav"}.get(path)
            if path.startswith("/chain-"):
                step = int(path.split("-")[1].split(".")[0])
                target = f"/chain-{step + 1}.wav" if step < MAX_REDIRECTS else f"{other}/call.wav"
            return 302, "text/plain", b"moved", {"Location": target}

        with local_server(redirecting, tls=_tls(ca)) as first:
            yield first, other, hits


def _fetch(url, target, **kw):
    download(url, target, max_bytes=10_000_000, timeout=5, attempts=3, **kw)


def test_https_to_https_is_followed_relative_too(servers, ca_file, tmp_path, monkeypatch, stereo_wav):
    first, _, hits = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    for path in ("/to-https.wav", "/relative.wav"):
        target = tmp_path / "got.wav"
        _fetch(f"{first}{path}", target)
        assert target.read_bytes() == stereo_wav.read_bytes()
    assert hits[-3:] == ["/relative.wav", "/to-https.wav", "/call.wav"]


def test_a_redirect_to_plain_http_is_refused(servers, ca_file, tmp_path, monkeypatch):
    first, _, hits = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    hits.clear()
    with pytest.raises(InputError) as caught:
        _fetch(f"{first}/to-http.wav", tmp_path / "got.wav")
    assert caught.value.code == "insecure_url"
    assert caught.value.message.startswith(f"{first}/to-http.wav: redirected to http://127.0.0.1:")
    assert hits == ["/to-http.wav"]  # the plain http server was never asked


def test_redirects_are_limited(servers, ca_file, tmp_path, monkeypatch):
    first, _, hits = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    _fetch(f"{first}/chain-1.wav", tmp_path / "got.wav")  # exactly MAX_REDIRECTS hops: fine
    hits.clear()
    with pytest.raises(InputError) as caught:
        _fetch(f"{first}/loop.wav", tmp_path / "got.wav")
    assert caught.value.code == "too_many_redirects"
    assert len(hits) == MAX_REDIRECTS + 1  # no retry of a loop either


def test_every_hop_passes_the_callers_rule(servers, ca_file, tmp_path, monkeypatch):
    first, other, _ = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    port = other.rsplit(":", 1)[1]

    def no_second_server(url):
        if url.startswith(other):
            raise InputError(f"{url}: not an allowed host", code="private_url")

    with pytest.raises(InputError) as caught:
        _fetch(f"{first}/to-https.wav", tmp_path / "got.wav", check=no_second_server)
    assert caught.value.code == "private_url" and port in caught.value.message


def test_every_hop_passes_the_http_apis_address_rule(servers, ca_file, tmp_path, monkeypatch):
    """The HTTP API's outbound rule, allowing only the host the job named: a redirect from it to
    a loopback address is refused like a loopback audio_url would be."""
    from hearflow.http.outbound import OutboundPolicy

    first, _, _ = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    policy = OutboundPolicy(allow=("localhost",))
    named = first.replace("127.0.0.1", "localhost")
    with pytest.raises(HearflowError) as caught:  # the API raises its own kind of coded error
        _fetch(f"{named}/to-https.wav", tmp_path / "got.wav",
               check=lambda url: policy.check(url, field="audio_url"))
    assert caught.value.code == "url_not_allowed"
    assert caught.value.message.startswith(f"{named}/to-https.wav: redirected to audio_url: 127.0.0.1")


def test_an_untrusted_certificate_is_not_retried(servers, tmp_path, monkeypatch):
    first, _, hits = servers
    monkeypatch.delenv("HEARFLOW_CA_BUNDLE", raising=False)
    hits.clear()
    with pytest.raises(InputError) as caught:
        _fetch(f"{first}/to-https.wav", tmp_path / "got.wav")
    assert caught.value.code == "untrusted_certificate" and "HEARFLOW_CA_BUNDLE" in caught.value.hint
    assert hits == []  # the handshake failed once, and was not tried again


def test_errors_about_a_download_name_the_url(servers, ca_file, monkeypatch):
    first, other, _ = servers
    monkeypatch.setenv("HEARFLOW_CA_BUNDLE", str(ca_file[1]))
    from hearflow.media.audiofile import fingerprint

    url = f"{other}/notes.wav"
    with pytest.raises(InputError) as caught:
        with local_copy(url, max_bytes=10_000_000) as path:
            fingerprint(path)
    assert caught.value.code == "not_audio"
    assert caught.value.message.startswith(f"{url}: ") and "hearflow-" not in caught.value.message


def test_the_command_line_quotes_the_url(cli, servers, ca_file, tmp_path):
    _, other, _ = servers
    url = f"{other}/notes.wav"
    done = cli("analyze", url, "--db", tmp_path / "h.db", env={"HEARFLOW_CA_BUNDLE": str(ca_file[1])})
    assert done.returncode == 1 and f"error[not_audio]: {url}: this is a text file" in done.stderr, done.stderr
    assert "/tmp/" not in done.stderr
