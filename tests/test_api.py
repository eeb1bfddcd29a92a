"""The HTTP API against one real ``hearflow api`` process on 127.0.0.1, with real httpx clients,
real recordings, a real https audio server and a real webhook receiver."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
import srt

from api_server import SHORT_CALL, SIGNING_SECRET, WEBHOOK_SECRET, ApiServer, wait_for_job
from local_http import https_recording
from webhook_receiver import Receiver

MAX_BYTES = 5_000_000
JOBS = "/v1/transcription/jobs"
ANALYZE = "/api/v1/analytics/calls/analyze"


@pytest.fixture(scope="module")
def short_call():
    from hearflow.media.synth import build_call

    return build_call(SHORT_CALL)


@pytest.fixture(scope="module")
def short_stereo(short_call, tmp_path_factory):
    from hearflow.media.synth import write_call

    path = tmp_path_factory.mktemp("api-media") / "short-stereo.wav"
    write_call(short_call, path, stereo=True)
    return path


@pytest.fixture(scope="module")
def short_mono(short_call, tmp_path_factory):
    from hearflow.media.synth import write_call

    path = tmp_path_factory.mktemp("api-media") / "short-mono.wav"
    write_call(short_call, path, stereo=False)
    return path


@pytest.fixture(scope="module")
def https_audio(short_stereo, tmp_path_factory):
    """An https server with a throwaway CA, serving the short stereo call; records each GET."""
    with https_recording(short_stereo.read_bytes(), tmp_path_factory.mktemp("api-tls")) as served:
        yield served


@pytest.fixture(scope="module")
def server(tmp_path_factory, https_audio):
    folder = tmp_path_factory.mktemp("api-server")
    config = folder / "hearflow.toml"
    config.write_text(f"max_bytes = {MAX_BYTES}\n")
    api = ApiServer(folder, "--config", str(config), "--allow-outbound", "127.0.0.1/32", "--offload-bytes", "12000",
                    "--webhook-backoff", "0.2", "--webhook-attempts", "3",
                    # a vendor key in the environment must not change the server's analyzer
                    env={"HEARFLOW_CA_BUNDLE": str(https_audio[1]), "ANTHROPIC_API_KEY": "sk-ant-not-used"})
    api.start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def full(server):
    return server.key()


@pytest.fixture(scope="module")
def client(server, full):
    with server.client(full[1]) as http:
        yield http


@pytest.fixture(scope="module")
def stereo_job(client, short_stereo):
    with short_stereo.open("rb") as audio:
        response = client.post(JOBS, files={"audio": ("short-stereo.wav", audio, "audio/wav")},
                               data={"channel": "true", "formats": "srt,vtt", "language": "en-US"})
    assert response.status_code == 202, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "hint"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]


# -- service routes --------------------------------------------------------------------------------

def test_open_routes_answer_without_a_key(server):
    with server.client() as http:
        health = http.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        schema = http.get("/openapi.json").json()
        assert {"/api/v1/analytics/calls/analyze", "/api/v1/analytics/calls/question",
                "/api/v1/analytics/calls/{call_id}", JOBS, JOBS + "/{job_id}"} <= set(schema["paths"])
        submit = schema["paths"][JOBS]["post"]
        assert {"application/json", "multipart/form-data"} == set(submit["requestBody"]["content"])
        assert "JobRequest" in schema["components"]["schemas"]
        page = http.get("/docs").text
        assert "/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
        script = http.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert 'hearflow_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text


def test_docs_page_renders_every_route_offline_in_chromium(server):
    """Swagger UI from this server's own assets, in a real browser with every other host blocked."""
    from playwright.sync_api import sync_playwright

    from test_scorecard import CHROMIUM, CHROMIUM_ARGS

    foreign = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()

        def route(request_route):
            if urlsplit(request_route.request.url).port != server.port:
                foreign.append(request_route.request.url)
                return request_route.abort()
            return request_route.continue_()

        page.route("**/*", route)
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        browser.close()
    assert foreign == []
    assert any("/v1/transcription/jobs" in path for path in paths)
    assert any("/api/v1/analytics/calls/analyze" in path for path in paths)


def test_each_request_is_one_json_log_line_without_secrets(server, full, client, short_stereo):
    client.get(JOBS, params={"limit": 1})
    deadline = time.monotonic() + 10
    while True:  # the line is written once the response has gone out: wait for it, briefly
        lines = [json.loads(line) for line in server.access_lines()]
        requests = [line for line in lines if line.get("event") == "request"]
        listed = [line for line in requests if line["route"] == JOBS and line["method"] == "GET"]
        if listed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert requests and all({"method", "route", "status", "ms", "request_id"} <= set(line) for line in requests)
    assert listed and listed[-1]["key"] == full[0]
    log = server.log.read_text()
    assert full[1] not in log and "Northwind" not in log and "signature=" not in log


# -- keys and scopes ---------------------------------------------------------------------------------

def test_keys_scopes_and_revocation(server, cli):
    with server.client() as anonymous:
        assert_error(anonymous.get(JOBS), 401, "unauthorized")
    with server.client("hf_live_not-a-real-key-at-all-0000000000") as unknown:
        assert_error(unknown.get(JOBS), 401, "unauthorized")
    _, hear_only = server.key("hear:transcribe")
    with server.client(hear_only) as http:
        error = assert_error(http.get(JOBS), 403, "forbidden")
        assert "transcribe:jobs" in error["message"]
    created = cli("keys", "create", "--scope", "hear:transcribe", "--scope", "transcribe:jobs", "--test",
                  "--db", server.db)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("hf_test_") and len(secret) >= 24 and created.stdout.strip() == secret
    stored = sqlite3.connect(server.db).execute("SELECT secret_hash, prefix FROM api_keys").fetchall()
    assert all(secret not in (digest, prefix) for digest, prefix in stored)
    key_id = created.stderr.split()[1]
    with server.client(secret) as http:
        assert http.get(JOBS).status_code == 200
        assert cli("keys", "revoke", key_id, "--db", server.db).returncode == 0
        assert_error(http.get(JOBS), 401, "unauthorized")
    listing = cli("keys", "list", "--db", server.db)
    assert key_id in listing.stdout and "revoked" in listing.stdout


# -- call analytics ----------------------------------------------------------------------------------

def test_analyze_question_and_stored_call(server, client, short_stereo):
    with short_stereo.open("rb") as audio:
        response = client.post(ANALYZE, files={"file": ("call.wav", audio, "audio/wav")}, data={"language": "en-US"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"].startswith("SPEAKER_1: ") and "SPEAKER_2: " in body["transcript"]
    assert set(body["speaker_timing"]) == {"SPEAKER_1", "SPEAKER_2"}
    assert len(body["analysis"].splitlines()) == 9 and body["analysis"].startswith("Customer Sentiment: ")
    assert body["summary"] and body["generated_at"].endswith("Z")
    assert body["insights"]["analyzer"] == "offline"
    assert response.headers["X-Hearflow-Units"] == f"{body['audio_seconds']:.3f}"

    asked = client.post("/api/v1/analytics/calls/question",
                        json={"transcript": body["transcript"], "question": "When will the laptop arrive?"})
    assert asked.status_code == 200, asked.text
    assert any("Friday" in quote for quote in asked.json()["quotes"])
    by_id = client.post("/api/v1/analytics/calls/question", json={"id": body["id"], "question": "Is it Friday?"})
    assert by_id.status_code == 200 and by_id.json()["answer"]

    stored = client.get(f"/api/v1/analytics/calls/{body['id']}")
    assert stored.status_code == 200 and stored.json()["transcript"] == body["transcript"]
    _, other = server.key()
    with server.client(other) as stranger:  # a key sees only its own calls
        assert_error(stranger.get(f"/api/v1/analytics/calls/{body['id']}"), 404, "not_found")
        assert_error(stranger.post("/api/v1/analytics/calls/question", json={"id": body["id"], "question": "x?"}),
                     404, "not_found")


@pytest.mark.parametrize("name, content, status, code", [
    ("notes.wav", b"these are meeting notes, not a recording\n", 415, "not_audio"),
    ("scan.wav", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200, 415, "unsupported_format"),
    ("empty.wav", b"", 422, "empty_file"),
    ("big.wav", b"RIFF" + b"\0" * (MAX_BYTES + 10), 413, "file_too_large"),
])
def test_analyze_refuses_bad_uploads_with_coded_errors(client, name, content, status, code):
    error = assert_error(client.post(ANALYZE, files={"file": (name, content)}), status, code)
    assert "/data/spool" not in error["message"]


def test_analyze_validation_errors(client, short_stereo):
    assert_error(client.post(ANALYZE, data={"language": "en"}), 422, "validation_error")
    with short_stereo.open("rb") as audio:
        assert_error(client.post(ANALYZE, files={"file": audio}, data={"language": "xx-YY"}), 422,
                     "unsupported_language")
    assert_error(client.post("/api/v1/analytics/calls/question", json={"question": "why?"}), 422, "validation_error")
    assert_error(client.post("/api/v1/analytics/calls/question", content=b"{not json",
                             headers={"Content-Type": "application/json"}), 422, "validation_error")
    assert_error(client.get("/api/v1/analytics/calls/0000000000000000"), 404, "not_found")
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.put(JOBS), 405, "method_not_allowed")


# -- jobs --------------------------------------------------------------------------------------------

def test_stereo_job_with_formats_and_signed_urls(server, client, stereo_job):
    assert stereo_job["status"] == "queued" and stereo_job["id"].startswith("job_") and stereo_job["created_at"]
    job = wait_for_job(client, stereo_job["id"])
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["speakers"] == 2 and result["mode"] == "channel" and job["result_url"] is None
    assert {s["speaker"] for s in result["segments"]} == {"speaker_0", "speaker_1"}
    assert {s["channel"] for s in result["segments"]} == {0, 1}
    assert result["words"] and all(w["start"] <= w["end"] for w in result["words"])
    assert "Friday" in result["text"]
    head = client.get(f"{JOBS}/{job['id']}")
    assert head.headers["X-Hearflow-Units"] == f"{result['audio_seconds']:.3f}"
    assert set(result["formats"]) == {"srt", "vtt"}
    with httpx.Client() as anonymous:  # the signature is the authorisation
        subtitles = anonymous.get(result["formats"]["srt"])
        assert subtitles.status_code == 200
        assert len(list(srt.parse(subtitles.text))) == len(result["segments"])
        assert anonymous.get(result["formats"]["vtt"]).text.startswith("WEBVTT")
        url = result["formats"]["srt"]
        assert_error(anonymous.get(url.replace("signature=", "signature=0")), 403, "signature_invalid")
        assert_error(anonymous.get(url.replace(".srt?", ".vtt?")), 403, "signature_invalid")
        expires = int(url.split("expires=")[1].split("&")[0])
        assert_error(anonymous.get(url.replace(f"expires={expires}", f"expires={expires + 60}")), 403,
                     "signature_invalid")
        assert_error(anonymous.get(url.split("?")[0]), 403, "signature_invalid")
        from hearflow.http.signed_urls import UrlSigner

        expired = UrlSigner(SIGNING_SECRET, 60).sign(server.url, urlsplit(url).path, now=time.time() - 3600)
        error = assert_error(anonymous.get(expired), 410, "url_expired")
        assert "WEBVTT" not in error["message"]


def test_mono_jobs_diarized_and_fake_stereo_rule(client, short_mono):
    with short_mono.open("rb") as audio:
        diarized = client.post(JOBS, files={"audio": ("mono.wav", audio)}, data={"diarize": "true", "num_speakers": "2"})
    with short_mono.open("rb") as audio:
        channel = client.post(JOBS, files={"audio": ("mono.wav", audio)}, data={"channel": "true"})
    assert diarized.status_code == channel.status_code == 202
    diarized, channel = (wait_for_job(client, r.json()["id"]) for r in (diarized, channel))
    assert diarized["status"] == "completed", diarized
    assert diarized["result"]["mode"] == "mono" and diarized["result"]["speakers"] == 2
    assert {s["speaker"] for s in diarized["result"]["segments"]} == {"speaker_0", "speaker_1"}
    assert channel["status"] == "completed" and channel["result"]["mode"] == "mono"
    assert any("mono" in note for note in channel["result"]["notes"])


def test_json_submit_with_https_audio_url_never_stores_the_audio(server, client, https_audio):
    base, _, hits = https_audio
    response = client.post(JOBS, json={"audio_url": f"{base}/calls/short.wav", "channel": True, "formats": ["txt"]})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["status"] == "completed", job
    assert "/calls/short.wav" in hits and "Friday" in job["result"]["text"]
    stored = [p for p in server.data_dir.rglob("*") if p.is_file() and p.suffix == ".wav"]
    assert stored == []


@pytest.mark.parametrize("body, code", [
    ({"audio_url": "http://example.com/call.wav"}, "insecure_url"),
    ({"audio_url": "ftp://example.com/call.wav"}, "insecure_url"),
    ({"audio_url": "https://10.1.2.3/call.wav"}, "url_not_allowed"),
    ({"audio_url": "https://169.254.169.254/latest"}, "url_not_allowed"),
    ({"audio_url": "https://[::1]/call.wav"}, "url_not_allowed"),
    ({"audio_url": "https://127.0.0.2/call.wav"}, "url_not_allowed"),
    ({"audio_url": "https://example.com/a.wav", "webhook_url": "https://192.168.0.10/hook"}, "url_not_allowed"),
    ({"audio_url": "https://example.com/a.wav", "channel": True, "diarize": True}, "validation_error"),
    ({"audio_url": "https://example.com/a.wav", "formats": ["docx"]}, "validation_error"),
    ({"audio_url": "https://example.com/a.wav", "colour": "blue"}, "validation_error"),
    ({"audio_url": "https://example.com/a.wav", "num_speakers": 0}, "validation_error"),
    ({}, "validation_error"),
])
def test_submit_refusals(client, body, code):
    assert_error(client.post(JOBS, json=body), 422, code)


def test_submit_refuses_other_bodies(client, short_stereo):
    assert_error(client.post(JOBS, content=b"audio_url=x", headers={"Content-Type": "text/plain"}), 415,
                 "unsupported_media_type")
    assert_error(client.post(JOBS, content=b"[1, 2]", headers={"Content-Type": "application/json"}), 422,
                 "validation_error")
    with short_stereo.open("rb") as audio:
        assert_error(client.post(JOBS, files={"audio": audio}, data={"channel": "yes"}), 422, "validation_error")
    assert_error(client.post(JOBS, files={"audio": ("x.wav", b"just text, really")}), 415, "not_audio")
    assert_error(client.get(f"{JOBS}/job_000000000000000000000000"), 404, "not_found")
    assert_error(client.get(JOBS, params={"limit": 101}), 422, "validation_error")
    assert_error(client.get(JOBS, params={"cursor": "abc"}), 422, "validation_error")


def test_webhook_event_is_signed_retried_and_logged(server, client, short_stereo):
    from hearflow_webhook.signing import verify

    def genuine(request) -> bool:
        try:
            verify(WEBHOOK_SECRET, request.body, request.headers["X-Hearflow-Timestamp"],
                   request.headers["X-Hearflow-Signature"])
        except Exception:
            return False
        return True

    with Receiver([503, 200], genuine=genuine) as hook:
        with short_stereo.open("rb") as audio:
            submitted = client.post(JOBS, files={"audio": ("short-stereo.wav", audio)},
                                    data={"channel": "true", "webhook_url": hook.url}).json()
        job = wait_for_job(client, submitted["id"])
        deadline = time.monotonic() + 60
        while len(hook.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert job["status"] == "completed"
    assert len(hook.requests) == 2 and all(genuine(r) for r in hook.requests)
    event = json.loads(hook.requests[-1].body)
    assert event["id"] == job["id"] and event["status"] == "completed" and event["completed_at"]
    assert event["url"].endswith(f"{JOBS}/{job['id']}") and event["created_at"] == job["created_at"]
    attempts = sqlite3.connect(server.db).execute(
        "SELECT attempt, status, delivered FROM api_job_deliveries WHERE job_id = ? ORDER BY id", [job["id"]]).fetchall()
    assert attempts == [(1, 503, 0), (2, 200, 1)]


def test_idempotency_under_20_concurrent_retries(server, full, short_stereo):
    audio = short_stereo.read_bytes()

    def submit(_):
        with server.client(full[1]) as http:
            return http.post(JOBS, files={"audio": ("short-stereo.wav", audio)},
                             data={"channel": "true", "formats": "txt"}, headers={"Idempotency-Key": "retry-1"})

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(submit, range(20)))
    assert sorted(r.status_code for r in responses) == [200] * 19 + [202]
    assert len({r.json()["id"] for r in responses}) == 1
    with server.client(full[1]) as http:
        conflict = http.post(JOBS, files={"audio": ("short-stereo.wav", audio)}, data={"channel": "false"},
                             headers={"Idempotency-Key": "retry-1"})
        assert_error(conflict, 409, "idempotency_conflict")
        other_bytes = http.post(JOBS, files={"audio": ("short-stereo.wav", audio + b"\0\0")},
                                data={"channel": "true", "formats": "txt"}, headers={"Idempotency-Key": "retry-1"})
        assert_error(other_bytes, 409, "idempotency_conflict")
    jobs = sqlite3.connect(server.db).execute("SELECT count(*) FROM api_jobs WHERE idempotency_key = 'retry-1'")
    assert jobs.fetchone()[0] == 1


def test_list_pages_newest_first_with_a_stable_cursor(server):
    _, secret = server.key()
    with server.client(secret) as http:
        made = [http.post(JOBS, json={"audio_url": f"https://example.invalid/{n}.wav"}).json()["id"]
                for n in range(5)]
        first = http.get(JOBS, params={"limit": 2}).json()
        http.post(JOBS, json={"audio_url": "https://example.invalid/late.wav"})  # must not shift the pages
        second = http.get(JOBS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        third = http.get(JOBS, params={"limit": 2, "cursor": second["next_cursor"]}).json()
        default = http.get(JOBS).json()
    seen = [job["id"] for page in (first, second, third) for job in page["data"]]
    assert seen == made[::-1] and third["next_cursor"] is None
    assert len(default["data"]) == 6 and default["next_cursor"] is None


def test_cancel_refuse_and_delete(server, client, stereo_wav, short_stereo):
    with stereo_wav.open("rb") as audio:  # 40 s: busy long enough to be seen processing, and offloaded
        long_job = client.post(JOBS, files={"audio": ("long.wav", audio)}, data={"formats": "json"}).json()
    with short_stereo.open("rb") as audio:
        queued = client.post(JOBS, files={"audio": ("short.wav", audio)}, data={"diarize": "true"}).json()
    wait_for_job(client, long_job["id"], until=("processing", "completed"))
    processing = client.get(f"{JOBS}/{long_job['id']}").json()
    if processing["status"] == "processing":
        assert_error(client.delete(f"{JOBS}/{long_job['id']}"), 409, "job_not_cancellable")
    cancelled = client.delete(f"{JOBS}/{queued['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert not (server.data_dir / "spool" / queued["id"]).exists()

    done = wait_for_job(client, long_job["id"])
    assert done["status"] == "completed" and done["result"] is None and done["result_url"]
    with httpx.Client() as anonymous:
        offloaded = anonymous.get(done["result_url"])
        assert offloaded.status_code == 200 and offloaded.json()["audio_seconds"] > 30
        assert len(offloaded.content) > 12000
        assert "json" in offloaded.json()["formats"]
        call_id = offloaded.json()["call_id"]
        deleted = client.delete(f"{JOBS}/{long_job['id']}")
        assert deleted.status_code == 200 and deleted.json() == {"id": long_job["id"], "deleted": True}
        assert_error(client.get(f"{JOBS}/{long_job['id']}"), 404, "not_found")
        assert_error(client.get(f"/api/v1/analytics/calls/{call_id}"), 404, "not_found")
        assert_error(anonymous.get(done["result_url"]), 404, "not_found")
    rows = sqlite3.connect(server.db).execute("SELECT count(*) FROM calls WHERE id = ?", [call_id]).fetchone()
    assert rows[0] == 0
    assert client.delete(f"{JOBS}/{queued['id']}").json() == {"id": queued["id"], "deleted": True}


def test_daily_cap_credit_and_the_ledger_matches_the_headers(server, cli, short_stereo):
    audio = short_stereo.read_bytes()
    capped_id, capped = server.key(test=True, daily_seconds=1)
    credit_id, credited = server.key(credit_seconds=1)
    units = {capped_id: [], credit_id: []}
    for key_id, secret, code, status in ((capped_id, capped, "daily_cap_reached", 429),
                                         (credit_id, credited, "credit_exhausted", 402)):
        with server.client(secret) as http:
            first = http.post(ANALYZE, files={"file": ("call.wav", audio)})
            assert first.status_code == 200, first.text
            units[key_id].append(first.headers["X-Hearflow-Units"])
            assert_error(http.post(ANALYZE, files={"file": ("call.wav", audio)}), status, code)
            assert_error(http.post(JOBS, json={"audio_url": "https://example.com/x.wav"}), status, code)
    for key_id, headers in units.items():
        printed = cli("usage", "--key", key_id, "--json", "--db", server.db)
        assert printed.returncode == 0, printed.stderr
        rows = json.loads(printed.stdout)
        total_ms = sum(row["units_ms"] for row in rows)
        assert total_ms == sum(int(h.replace(".", "")) for h in headers)


def test_queued_jobs_count_against_the_cap_and_the_credit(server, short_stereo, short_call):
    """Eight uploads sent at once by a key whose allowance is less than one call: the first one
    queued reserves its length, so exactly one is accepted, and none once it is billed."""
    audio = short_stereo.read_bytes()
    allowance = short_call.duration / 2
    for options, status, code in (({"test": True, "daily_seconds": allowance}, 429, "daily_cap_reached"),
                                  ({"credit_seconds": allowance}, 402, "credit_exhausted")):
        _, secret = server.key(**options)
        with server.client(secret) as http, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: http.post(JOBS, files={"audio": (f"call-{n}.wav", audio)},
                                                        data={"channel": "true"}), range(8)))
            accepted = [answer for answer in answers if answer.status_code == 202]
            assert len(accepted) == 1, [answer.text for answer in answers]
            for answer in answers:
                if answer is not accepted[0]:
                    assert_error(answer, status, code)
            (reserved,) = sqlite3.connect(server.db).execute(
                "SELECT reserved_ms FROM api_jobs WHERE id = ?", [accepted[0].json()["id"]]).fetchone()
            assert abs(reserved - short_call.duration * 1000) < 50  # the upload's length, from its headers
            done = wait_for_job(http, accepted[0].json()["id"])
            assert done["status"] == "completed", done
            assert_error(http.post(JOBS, files={"audio": ("again.wav", audio)}), status, code)


def test_a_cancelled_job_gives_its_reservation_back(tmp_path, short_stereo, short_call):
    queue_only = ApiServer(tmp_path, "--workers", "0").start()  # jobs stay queued
    try:
        _, secret = queue_only.key(credit_seconds=short_call.duration / 2)
        with queue_only.client(secret) as http:
            audio = short_stereo.read_bytes()
            first = http.post(JOBS, files={"audio": ("first.wav", audio)})
            assert first.status_code == 202, first.text
            assert_error(http.post(JOBS, files={"audio": ("second.wav", audio)}), 402, "credit_exhausted")
            assert http.delete(f"{JOBS}/{first.json()['id']}").json()["status"] == "cancelled"
            assert http.post(JOBS, files={"audio": ("third.wav", audio)}).status_code == 202
    finally:
        queue_only.stop()


def test_usage_sums_exactly_to_every_header_a_key_received(server, client, full, cli, stereo_job):
    """Each completed job's header is its ledger row to the millisecond, and `hearflow usage`
    prints the ledger's sums."""
    wait_for_job(client, stereo_job["id"])
    db = sqlite3.connect(server.db)
    jobs = [job for job in client.get(JOBS, params={"limit": 100}).json()["data"] if job["status"] == "completed"]
    assert jobs
    for job in jobs:
        header = client.get(f"{JOBS}/{job['id']}").headers["X-Hearflow-Units"]
        (ms,) = db.execute("SELECT units_ms FROM api_usage WHERE kind = 'job' AND ref = ?", [job["id"]]).fetchone()
        assert int(header.replace(".", "")) == ms
    ledger = dict(db.execute("SELECT kind, sum(units_ms) FROM api_usage WHERE key_id = ? GROUP BY kind", [full[0]]))
    printed = json.loads(cli("usage", "--key", full[0], "--json", "--db", server.db).stdout)
    assert {row["kind"]: row["units_ms"] for row in printed} == ledger


def test_docs_list_every_error_code_with_its_status():
    import re
    from pathlib import Path

    from hearflow.http.errors import CATALOGUE

    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    documented = {code: int(status) for code, status in re.findall(r"^\| `(\w+)` \| (\d{3}) \|", text, re.M)}
    assert documented == {code: status for code, (status, _) in CATALOGUE.items()}


def test_jobs_take_redaction_kinds_and_vocabulary(client, short_mono):
    with short_mono.open("rb") as audio:
        refused = client.post(JOBS, files={"audio": ("mono.wav", audio)}, data={"redact": "pii,passport"})
    assert_error(refused, 422, "validation_error")
    with short_mono.open("rb") as audio:
        submitted = client.post(JOBS, files={"audio": ("mono.wav", audio)},
                                data={"redact": "pii", "vocabulary": "Northwind,Alex"})
    assert submitted.status_code == 202, submitted.text
    job = wait_for_job(client, submitted.json()["id"])
    assert job["status"] == "completed", job
