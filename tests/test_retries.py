"""A stage that touches a network is retried by the flow: a real HTTP server on 127.0.0.1
answers 503 once, then succeeds."""

from __future__ import annotations

import json
import textwrap

import pytest

from hearflow.settings import AnalyzeSettings
from hearflow_flows import analyze_call
from local_http import local_server

PLUGIN = textwrap.dedent('''
    import json, urllib.request
    from hearflow import AsrBackend, Segment, StageOptions, Transcript, Word, hookimpl

    class RemoteAsr(AsrBackend):
        name = "remote-test"
        network = True

        class Options(StageOptions):
            url: str

        def transcribe(self, samples, sample_rate, *, progress=None):
            request = urllib.request.Request(self.options.url, data=str(len(samples)).encode(), method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read())
            word = Word(start=body["start"], end=body["end"], text=body["text"])
            return Transcript(segments=(Segment(start=word.start, end=word.end, text=word.text,
                                                words=(word,)),), language="en", model="remote")

    @hookimpl
    def register_asr_backends(register):
        register(RemoteAsr)
''')


@pytest.fixture
def flaky_server():
    hits = []

    def respond(method, path, body):
        hits.append(path)
        if len(hits) == 1:
            return 503, "text/plain", b"busy"
        return 200, "application/json", json.dumps({"text": "hello", "start": 1.0, "end": 1.4}).encode()

    with local_server(respond) as base:
        yield f"{base}/transcribe", hits


def test_network_stage_is_retried(tmp_path, monkeypatch, flaky_server, stereo_wav):
    url, hits = flaky_server
    (tmp_path / "hearflow_remote_test.py").write_text(PLUGIN)
    info = tmp_path / "hearflow_remote_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hearflow-remote-test\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hearflow]\nremote-test = hearflow_remote_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    settings = AnalyzeSettings(asr="remote-test", asr_options={"url": url})
    outcome = analyze_call(str(stereo_wav), settings=settings, db_path=str(tmp_path / "h.db"))
    # The channels are transcribed at once: the first attempt's 503 may come before or after the
    # other channel was asked; the retry asks for both again.
    assert len(hits) in (3, 4)
    assert outcome.result.transcript == "SPEAKER_1: hello\nSPEAKER_2: hello"
