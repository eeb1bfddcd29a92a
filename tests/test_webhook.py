"""The webhook sink against real HTTP receivers on 127.0.0.1: signing, retries, refusals, the
verification snippet from docs/webhooks.md, and delivery from a real `hearflow analyze` run."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import hearflow
from hearflow.errors import ConfigError
from hearflow.models import CallResult, Segment
from hearflow_webhook.retry import MAX_DELAY, backoff_delay
from hearflow_webhook.signing import SignatureError, sign, verify
from hearflow_webhook.sink import WebhookSink, request_body
from media import ROOT
from webhook_receiver import SLOW, Receiver

SECRET = "s3cret-for-tests-only"
FAST = {"backoff": 0.01}  # retries in milliseconds, not seconds


@pytest.fixture(scope="module")
def documented_check():
    """``is_genuine`` exactly as docs/webhooks.md prints it for receivers."""
    doc = (ROOT / "docs" / "webhooks.md").read_text()
    section = doc.split("## Verifying a request", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)
    return namespace["is_genuine"]


def check_signature(request, secret: str = SECRET) -> None:
    verify(secret, request.body, request.headers["X-Hearflow-Timestamp"], request.headers["X-Hearflow-Signature"])


def genuine_by(check):
    def genuine(request) -> bool:
        return check(SECRET, request.body, request.headers.get("X-Hearflow-Timestamp", ""),
                     request.headers.get("X-Hearflow-Signature", ""))

    return genuine


def call_result() -> CallResult:
    segments = (Segment(start=0.0, end=2.0, text="Bonjour, café ou thé ?", speaker="SPEAKER_1"),
                Segment(start=2.5, end=4.0, text="Thé, merci.", speaker="SPEAKER_2"))
    return CallResult(id="c0ffee0000000001", source="call.wav", sha256="ab" * 32, format="wav",
                      mode="channel", diarized=False, language="fr", model="tiny", audio_seconds=4.0,
                      channels=2, sample_rate=16000, segments=segments,
                      speaker_timing={"SPEAKER_1": 2.0, "SPEAKER_2": 1.5})


def webhook(*urls, **options) -> WebhookSink:
    return WebhookSink({"urls": list(urls), "secret": SECRET, **FAST, **options})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- delivery ---------------------------------------------------------------------------------


def test_the_documented_receiver_accepts_a_delivery(documented_check):
    result = call_result()
    with Receiver([200], genuine=genuine_by(documented_check)) as hook:
        [report] = webhook(hook.url).deliver(result)
    assert report.delivered and report.sink == "webhook" and report.target == hook.url
    assert [(a.attempt, a.status, a.error) for a in report.attempts] == [(1, 200, None)]
    [request] = hook.requests
    headers = request.headers
    assert request.body == request_body(result)
    assert json.loads(request.body.decode("utf-8"))["transcript"].startswith("SPEAKER_1: Bonjour, café")
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"hearflow/{hearflow.__version__}"
    assert uuid.UUID(headers["X-Hearflow-Delivery"])
    assert abs(int(headers["X-Hearflow-Timestamp"]) - time.time()) < 60
    check_signature(request)


def test_a_receiver_with_another_secret_refuses_and_is_not_retried(documented_check):
    with Receiver([200], genuine=genuine_by(documented_check)) as hook:
        [report] = WebhookSink({"urls": [hook.url], "secret": "not-the-shared-one", **FAST}).deliver(call_result())
    assert not report.delivered
    assert [(a.status, a.error) for a in report.attempts] == [(401, "HTTP 401 Unauthorized: ok")]


def test_server_errors_are_retried_under_one_delivery_id():
    with Receiver([500, 500, 200]) as hook:
        [report] = webhook(hook.url).deliver(call_result())
    assert len(hook.requests) == 3
    assert len({r.headers["X-Hearflow-Delivery"] for r in hook.requests}) == 1
    assert [r.headers["X-Hearflow-Attempt"] for r in hook.requests] == ["1", "2", "3"]
    assert report.delivered
    assert [(a.attempt, a.status) for a in report.attempts] == [(1, 500), (2, 500), (3, 200)]
    assert report.attempts[0].error.startswith("HTTP 500")
    for request in hook.requests:  # each retry is signed again, and every signature holds
        check_signature(request)


def test_too_many_requests_is_retried():
    with Receiver([429, 200]) as hook:
        [report] = webhook(hook.url).deliver(call_result())
    assert report.delivered and [a.status for a in report.attempts] == [429, 200]


@pytest.mark.parametrize("status", [400, 401, 404, 302])
def test_a_refusal_is_not_retried(status):
    with Receiver([status, 200]) as hook:
        [report] = webhook(hook.url).deliver(call_result())
    assert len(hook.requests) == 1
    assert not report.delivered
    assert [a.status for a in report.attempts] == [status]


def test_a_timeout_is_retried_then_reported_undelivered():
    with Receiver([SLOW]) as hook:
        [report] = webhook(hook.url, timeout=0.2, max_attempts=2).deliver(call_result())
    assert len(hook.requests) == 2
    assert not report.delivered
    assert [a.status for a in report.attempts] == [None, None]
    assert all("Timeout" in a.error and a.seconds >= 0.2 for a in report.attempts)


def test_a_refused_connection_is_retried_then_reported_undelivered():
    url = f"http://127.0.0.1:{closed_port()}/hook"
    [report] = webhook(url, max_attempts=3).deliver(call_result())
    assert not report.delivered
    assert [a.attempt for a in report.attempts] == [1, 2, 3]
    assert all(a.status is None and a.error.startswith("ConnectError") for a in report.attempts)


def test_one_report_per_url():
    with Receiver([200]) as good, Receiver([400]) as picky:
        reports = webhook(good.url, picky.url).deliver(call_result())
    assert [(r.target, r.delivered) for r in reports] == [(good.url, True), (picky.url, False)]
    assert good.requests[0].headers["X-Hearflow-Delivery"] != picky.requests[0].headers["X-Hearflow-Delivery"]


def test_backoff_doubles_and_is_capped():
    assert [backoff_delay(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(12, 1.0) == MAX_DELAY
    assert backoff_delay(1, 0.01, retry_after="3") == 3.0
    assert backoff_delay(1, 1.0, retry_after="86400") == MAX_DELAY
    assert backoff_delay(2, 1.0, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") == 2.0


# -- options ----------------------------------------------------------------------------------


def test_no_secret_is_refused(monkeypatch):
    monkeypatch.delenv("HEARFLOW_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as caught:
        WebhookSink({"urls": ["https://example.com/hook"]})
    assert caught.value.code == "invalid_options"
    assert "HEARFLOW_WEBHOOK_SECRET" in caught.value.message


def test_no_secret_stops_the_engine_before_any_work(monkeypatch):
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    monkeypatch.delenv("HEARFLOW_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as caught:
        Engine(AnalyzeSettings(sinks={"webhook": {"urls": ["https://example.com/hook"]}}))
    assert caught.value.code == "invalid_options"


def test_the_secret_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEARFLOW_WEBHOOK_SECRET", "from-env")
    with Receiver([200]) as hook:
        WebhookSink({"urls": [hook.url], **FAST}).deliver(call_result())
    [request] = hook.requests
    check_signature(request, "from-env")


@pytest.mark.parametrize("options", [
    {"urls": []},
    {"urls": ["ftp://example.com/hook"]},
    {"urls": ["example.com/hook"]},
    {"urls": ["https://example.com/hook"], "max_attempts": 0},
    {"urls": ["https://example.com/hook"], "retries": 3},
])
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError) as caught:
        WebhookSink({"secret": SECRET, **options})
    assert caught.value.code == "invalid_options"


def test_the_secret_does_not_show_in_options():
    sink = webhook("https://example.com/hook")
    assert SECRET not in repr(sink.options) and SECRET not in repr(vars(sink))
    assert SECRET not in json.dumps(sink.options.model_dump(mode="json"))


# -- signatures -------------------------------------------------------------------------------


BODY = '{"id":"c0ffee","transcript":"SPEAKER_1: café"}'.encode()


def test_sign_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, BODY) == f"sha256={expected}"


def test_verify_accepts_a_fresh_signature():
    verify(SECRET, BODY, "1700000000", sign(SECRET, 1700000000, BODY), now=1700000100)


@pytest.mark.parametrize("tamper", [
    lambda body, ts, sig, secret: (body.replace(b"caf", b"CAF"), ts, sig, secret),
    lambda body, ts, sig, secret: (body + b" ", ts, sig, secret),
    lambda body, ts, sig, secret: (body, str(int(ts) + 1), sig, secret),
    lambda body, ts, sig, secret: (body, ts, sig, "another-secret"),
    lambda body, ts, sig, secret: (body, ts, sig[:-1] + "é", secret),
], ids=["body", "whitespace", "timestamp", "secret", "non-ascii"])
def test_tampering_is_a_mismatch(tamper):
    body, timestamp, signature, secret = tamper(BODY, "1700000000", sign(SECRET, 1700000000, BODY), SECRET)
    with pytest.raises(SignatureError) as caught:
        verify(secret, body, timestamp, signature, now=1700000000)
    assert caught.value.code == "signature_mismatch"


@pytest.mark.parametrize("age", [301, -301, 86400])
def test_a_timestamp_outside_the_window_is_expired(age):
    signature = sign(SECRET, 1700000000, BODY)
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, BODY, "1700000000", signature, now=1700000000 + age)
    assert caught.value.code == "signature_expired"
    verify(SECRET, BODY, "1700000000", signature, now=1700000000 + age, tolerance=None)


def test_a_real_old_timestamp_is_expired_with_the_default_window():
    old = int(time.time()) - 3600
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, BODY, old, sign(SECRET, old, BODY))
    assert caught.value.code == "signature_expired"


@pytest.mark.parametrize("timestamp, signature", [
    ("", "sha256=00"), ("12.5", "sha256=00"), ("-5", "sha256=00"), ("1700000000", "md5=00"),
])
def test_malformed_headers(timestamp, signature):
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, BODY, timestamp, signature, now=1700000000)
    assert caught.value.code == "signature_malformed"


# -- command line -----------------------------------------------------------------------------


def test_cli_verify_good_and_tampered_body(cli, tmp_path):
    timestamp = str(int(time.time()))
    signature = sign(SECRET, timestamp, BODY)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(BODY)
    bad.write_bytes(BODY.replace(b"SPEAKER_1", b"SPEAKER_2"))
    env = {"HEARFLOW_WEBHOOK_SECRET": SECRET}

    done = cli("webhook", "verify", "--timestamp", timestamp, "--signature", signature, good, env=env)
    assert (done.returncode, done.stdout) == (0, "valid\n"), done.stderr
    done = cli("webhook", "verify", "--timestamp", timestamp, "--signature", signature, bad, env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error[signature_mismatch]: ")


def test_cli_verify_reads_stdin_and_checks_the_window(tmp_path):
    old = "1700000000"
    signature = sign(SECRET, old, BODY)
    command = [str(Path(sys.executable).with_name("hearflow")), "webhook", "verify", "--secret", SECRET,
               "--timestamp", old, "--signature", signature]

    expired = subprocess.run([*command, "-"], input=BODY, capture_output=True, timeout=120)
    assert expired.returncode == 1 and expired.stderr.startswith(b"error[signature_expired]: ")
    unbounded = subprocess.run([*command, "--tolerance", "0"], input=BODY, capture_output=True, timeout=120)
    assert (unbounded.returncode, unbounded.stdout) == (0, b"valid\n"), unbounded.stderr


def test_cli_verify_without_a_secret(cli, tmp_path):
    body = tmp_path / "body.json"
    body.write_bytes(BODY)
    done = cli("webhook", "verify", "--timestamp", "1", "--signature", "sha256=00", body,
               env={"HEARFLOW_WEBHOOK_SECRET": ""})
    assert done.returncode == 1 and done.stderr.startswith("error[missing_secret]: ")


def test_cli_send_replays_a_stored_call_and_logs_attempts(cli, tmp_path):
    from hearflow.store.store import Store

    db = tmp_path / "h.db"
    result = call_result()
    store = Store(db)
    store.save(result)
    store.close()
    config = tmp_path / "hearflow.toml"
    config.write_text('[sinks.webhook]\nurls = ["http://127.0.0.1:9/never-used"]\nbackoff = 0.01\n')
    env = {"HEARFLOW_WEBHOOK_SECRET": SECRET}

    with Receiver([503, 200]) as hook:
        done = cli("webhook", "send", "c0ffee", "--url", hook.url, "--config", config, "--db", db, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"delivered {result.id} to 1 URL(s)\n"
    assert [r.body for r in hook.requests] == [request_body(result)] * 2

    with Receiver([400]) as hook:
        done = cli("webhook", "send", "c0ffee", "--url", hook.url, "--db", db, env=env)
    assert done.returncode == 1 and "error[delivery_failed]" in done.stderr

    rows = deliveries(db, result.id)
    assert [(r["attempt"], r["status"], r["delivered"]) for r in rows] == [(1, 503, 0), (2, 200, 1), (1, 400, 0)]


# -- end to end -------------------------------------------------------------------------------


def deliveries(db, call_id: str) -> list[dict]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(
            "select * from deliveries where call_id = ? order by id", [call_id])]


def test_analyze_delivers_through_the_flow(cli, tmp_path, stereo_wav, documented_check):
    db = tmp_path / "h.db"
    with Receiver([500, 200], genuine=genuine_by(documented_check)) as hook:
        config = tmp_path / "hearflow.toml"
        config.write_text(f'analyzer = "offline"\n\n[sinks.webhook]\nurls = ["{hook.url}"]\nbackoff = 0.01\n')
        done = cli("analyze", stereo_wav, "--config", config, "--db", db, "-q",
                   env={"HEARFLOW_WEBHOOK_SECRET": SECRET})
    assert done.returncode == 0, done.stderr
    assert len(hook.requests) == 2
    delivered = hook.requests[-1]
    check_signature(delivered)
    payload = json.loads(delivered.body)
    assert payload["transcript"].startswith("SPEAKER_1:")
    assert payload["transcript"] in done.stdout
    assert f"webhook: delivered to {hook.url} after 2 attempt(s)" in done.stderr

    rows = deliveries(db, payload["id"])
    assert [(r["attempt"], r["status"], r["delivered"], r["target"]) for r in rows] == [
        (1, 500, 0, hook.url), (2, 200, 1, hook.url)]
    assert rows[0]["error"].startswith("HTTP 500")
