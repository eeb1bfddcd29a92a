"""The anthropic and openai-compatible analyzers against a local server speaking each vendor's wire
format: the real SDKs send real HTTP requests, and nothing may leave 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from hearflow.pipeline.engine import Engine
from hearflow.errors import AnalysisError, ConfigError
from hearflow.models import CallAnalysis
from hearflow.settings import AnalyzeSettings
from hearflow_llm import AnthropicAnalyzer, OpenAICompatibleAnalyzer
from llm_fakes import (MAX_STALL, FakeVendor, Scripted, anthropic_tool_call, chat_completion, rate_limited,
                       support_call)

VALID = {
    "sentiment": "positive", "intent": "late laptop delivery", "resolution": "resolved",
    "agent_performance": "good", "escalation_risk": "low", "key_topics": ["delivery delay", "tracking link"],
    "action_items": ["SPEAKER_1: email the tracking link"], "compliance": "compliant", "compliance_notes": [],
    "satisfaction_score": 4, "summary": "A delayed laptop will arrive on Friday; the tracking link was sent.",
}
INVALID = {key: value for key, value in {**VALID, "sentiment": "furious"}.items() if key != "summary"}
API_KEY = "sk-test-not-real"
CONFIGURED_MODEL = "configured-model"
LINE_WITH_FRIDAY = ("[00:20] SPEAKER_1: Thank you. I can see the parcel was delayed at the warehouse. "
                    "It will arrive on Friday.")


@dataclass(frozen=True)
class Vendor:
    name: str
    analyzer: type
    path: str  # where the SDK posts
    api_root: str  # what base_url adds to the server's address
    answer: Callable[..., Scripted]  # (tool name, payload) → the vendor's reply carrying it
    answering_model: str  # the model name the fake reports back


def _chat_answer(tool: str, payload, **usage) -> Scripted:
    return chat_completion(json.dumps(payload), **usage)


VENDORS = {
    "anthropic": Vendor("anthropic", AnthropicAnalyzer, "/v1/messages", "", anthropic_tool_call, "claude-fake-1"),
    "openai-compatible": Vendor("openai-compatible", OpenAICompatibleAnalyzer, "/v1/chat/completions", "/v1",
                                _chat_answer, "fake-chat-1"),
}


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """No vendor setting from the developer's environment, no proxy, and no socket to anywhere
    but this machine."""
    vendor_settings = ("ANTHROPIC_", "OPENAI_", "HEARFLOW_ANTHROPIC_", "HEARFLOW_OPENAI_")
    for name in list(os.environ):
        if name.startswith(vendor_settings) or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    connect = socket.socket.connect

    def loopback_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"a test tried to reach {address}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.fixture
def server():
    fake = FakeVendor().start()
    yield fake
    fake.stop()


@pytest.fixture(params=list(VENDORS))
def vendor(request) -> Vendor:
    return VENDORS[request.param]


@pytest.fixture(scope="module")
def call():
    return support_call()


def options(vendor: Vendor, server: FakeVendor, **overrides) -> dict:
    return {"api_key": API_KEY, "base_url": server.url + vendor.api_root, "model": CONFIGURED_MODEL,
            "timeout": 5.0, **overrides}


def sent_text(server: FakeVendor, index: int = 0) -> str:
    return json.dumps(server.requests[index].body)


# -- analyze ----------------------------------------------------------------------------------

def test_valid_answer_fills_the_record(vendor, server, call):
    server.script(vendor.answer("record_call_analysis", VALID))
    record = vendor.analyzer(options(vendor, server)).analyze(call)
    assert record.analysis == CallAnalysis.model_validate(VALID)
    assert record.error is None and record.heuristic is False and record.attempts == 1
    assert record.analyzer == vendor.name and record.model == vendor.answering_model
    assert record.usage == {"input_tokens": 120, "output_tokens": 40}
    [request] = server.requests
    assert request.path == vendor.path
    assert API_KEY in request.headers.get("x-api-key", "") + request.headers.get("authorization", "")
    assert request.body["model"] == CONFIGURED_MODEL
    assert json.dumps(LINE_WITH_FRIDAY)[1:-1] in sent_text(server)  # the timed transcript
    assert '\\"talk_ratio\\"' in sent_text(server)  # the metrics JSON


def test_anthropic_request_forces_the_analysis_tool(server, call):
    vendor = VENDORS["anthropic"]
    server.script(vendor.answer("record_call_analysis", VALID))
    vendor.analyzer(options(vendor, server)).analyze(call)
    body = server.requests[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "record_call_analysis"}
    assert [tool["name"] for tool in body["tools"]] == ["record_call_analysis"]
    assert body["tools"][0]["input_schema"] == CallAnalysis.model_json_schema()
    assert "escalation_risk" in body["system"] and "satisfaction_score" in body["system"]
    assert LINE_WITH_FRIDAY in body["messages"][0]["content"]


def test_openai_request_names_the_model_and_asks_for_json(server, call):
    vendor = VENDORS["openai-compatible"]
    server.script(vendor.answer("record_call_analysis", VALID))
    vendor.analyzer(options(vendor, server)).analyze(call)
    body = server.requests[0].body
    assert body["model"] == CONFIGURED_MODEL
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == CallAnalysis.model_json_schema()
    system, user = body["messages"]
    assert system["role"] == "system" and "JSON" in system["content"]
    assert user["role"] == "user" and LINE_WITH_FRIDAY in user["content"]


def test_invalid_answer_is_asked_again_then_rejected(vendor, server, call):
    server.script(vendor.answer("record_call_analysis", INVALID))
    with pytest.raises(AnalysisError) as caught:
        vendor.analyzer(options(vendor, server, invalid_retries=2)).analyze(call)
    assert caught.value.code == "analysis_invalid"
    assert "sentiment" in caught.value.message and "summary" in caught.value.message
    assert len(server.requests) == 1 + 2
    # Each re-ask carries the rejected answer and what was wrong with it.
    last_message = server.requests[-1].body["messages"][-1]
    assert "rejected" in json.dumps(last_message) and "furious" in sent_text(server, -1)


def test_engine_keeps_the_transcript_when_analysis_fails(vendor, server, call):
    server.script(vendor.answer("record_call_analysis", INVALID))
    engine = Engine(AnalyzeSettings(analyzer=vendor.name, analyzer_options=options(vendor, server)))
    analysed = engine.conclude(call, engine.analysis(call))
    assert analysed.analysis.error.code == "analysis_invalid"
    assert analysed.analysis.analysis is None and analysed.analysis.analyzer == vendor.name
    assert analysed.transcript == call.transcript and analysed.segments == call.segments


def test_a_corrected_answer_counts_attempts_and_sums_usage(vendor, server, call):
    server.script(vendor.answer("record_call_analysis", INVALID), vendor.answer("record_call_analysis", VALID))
    record = vendor.analyzer(options(vendor, server)).analyze(call)
    assert record.analysis.sentiment == "positive" and record.attempts == 2
    assert record.usage == {"input_tokens": 240, "output_tokens": 80}


# -- transport --------------------------------------------------------------------------------

def test_rate_limit_is_retried_by_the_sdk(vendor, server, call):
    server.script(rate_limited(), vendor.answer("record_call_analysis", VALID))
    record = vendor.analyzer(options(vendor, server, max_retries=2)).analyze(call)
    assert record.analysis.intent == VALID["intent"]
    assert len(server.requests) == 2


def test_timeout_is_a_transport_error(vendor, server, call):
    server.script(Scripted(vendor.answer("record_call_analysis", VALID).body, stall=MAX_STALL))
    started = time.monotonic()
    with pytest.raises(AnalysisError) as caught:
        vendor.analyzer(options(vendor, server, timeout=0.5, max_retries=1)).analyze(call)
    assert caught.value.code == "analysis_unavailable" and "in time" in caught.value.message
    assert len(server.requests) == 2  # the first try and the SDK's one retry
    assert time.monotonic() - started < 2 * MAX_STALL


def test_refused_request_is_not_retried(vendor, server, call):
    server.script(Scripted({"type": "error", "error": {"type": "authentication_error", "message": "bad key"}},
                           status=401))
    with pytest.raises(AnalysisError) as caught:
        vendor.analyzer(options(vendor, server)).analyze(call)
    assert caught.value.code == "analysis_rejected" and "401" in caught.value.message
    assert len(server.requests) == 1


# -- ask --------------------------------------------------------------------------------------

def test_ask_answers_with_transcript_quotes(vendor, server, call):
    server.script(vendor.answer("answer_question",
                                {"answer": "On Friday.", "quotes": ["It will arrive on Friday."]}))
    answer = vendor.analyzer(options(vendor, server)).ask(call, "When will the laptop arrive?")
    assert answer.answer == "On Friday." and answer.quotes == (LINE_WITH_FRIDAY,)
    assert answer.analyzer == vendor.name and answer.model == vendor.answering_model
    assert answer.usage == {"input_tokens": 120, "output_tokens": 40}
    assert "When will the laptop arrive?" in sent_text(server)
    if vendor.name == "anthropic":
        assert server.requests[0].body["tool_choice"] == {"type": "tool", "name": "answer_question"}


def test_ask_rejects_an_invented_quote(vendor, server, call):
    server.script(vendor.answer("answer_question", {"answer": "Monday.", "quotes": ["It arrives Monday."]}),
                  vendor.answer("answer_question", {"answer": "Friday.", "quotes": [LINE_WITH_FRIDAY]}))
    answer = vendor.analyzer(options(vendor, server)).ask(call, "When will it arrive?")
    assert answer.quotes == (LINE_WITH_FRIDAY,) and len(server.requests) == 2
    assert "not in the transcript" in sent_text(server, 1)


# -- configuration ----------------------------------------------------------------------------

def test_auto_mode_uses_a_key_from_the_environment(monkeypatch, server, call):
    assert Engine(AnalyzeSettings()).analyzer.name == "offline"
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("HEARFLOW_ANTHROPIC_MODEL", CONFIGURED_MODEL)
    server.script(anthropic_tool_call("record_call_analysis", VALID))
    engine = Engine(AnalyzeSettings())
    assert engine.analyzer.name == "anthropic"
    assert engine.analysis(call).analysis == CallAnalysis.model_validate(VALID)
    assert server.requests[0].body["model"] == CONFIGURED_MODEL


def test_openai_compatible_needs_a_model_for_another_endpoint(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    assert OpenAICompatibleAnalyzer().configured()  # OpenAI itself: a default model
    monkeypatch.setenv("HEARFLOW_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert not OpenAICompatibleAnalyzer().configured()  # a local server's model names are its own
    monkeypatch.setenv("HEARFLOW_OPENAI_MODEL", "llama3")
    assert OpenAICompatibleAnalyzer().configured()


def test_api_key_is_never_stored(vendor, server):
    engine = Engine(AnalyzeSettings(analyzer=vendor.name, analyzer_options=options(vendor, server)))
    assert API_KEY not in json.dumps(engine.resolved_options()) and API_KEY not in repr(engine.analyzer.options)


def test_missing_key_is_a_config_error(vendor, call):
    analyzer = vendor.analyzer({"model": CONFIGURED_MODEL})
    assert not analyzer.configured()
    with pytest.raises(ConfigError) as caught:
        analyzer.analyze(call)
    assert caught.value.code == "analyzer_not_configured" and "API key" in caught.value.message


# -- through the command line -----------------------------------------------------------------

def test_ask_command_stores_the_answer(vendor, server, call, cli, tmp_path):
    """`hearflow ask` with each vendor's analyzer, configured from the environment as a user would."""
    from hearflow.store.store import Store

    db = tmp_path / "h.db"
    store = Store(db)
    store.save(call)
    store.close()
    server.script(vendor.answer("answer_question", {"answer": "On Friday.", "quotes": [LINE_WITH_FRIDAY]}))
    environment = {
        "anthropic": {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": server.url + vendor.api_root,
                      "HEARFLOW_ANTHROPIC_MODEL": CONFIGURED_MODEL},
        "openai-compatible": {"HEARFLOW_OPENAI_API_KEY": API_KEY,
                              "HEARFLOW_OPENAI_BASE_URL": server.url + vendor.api_root,
                              "HEARFLOW_OPENAI_MODEL": CONFIGURED_MODEL},
    }[vendor.name]
    done = cli("ask", call.id[:8], "When will the laptop arrive?", "--analyzer", vendor.name, "--db", db,
               env=environment)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("On Friday.") and LINE_WITH_FRIDAY in done.stdout
    store = Store(db)
    (row,) = store.answers(call.id)
    store.close()
    assert (row["analyzer"], row["answer"]) == (vendor.name, "On Friday.")
    assert json.loads(row["usage"]) == {"input_tokens": 120, "output_tokens": 40}
