"""The HTML scorecard: content for full and degenerate calls, a real Chromium render, the command."""

from __future__ import annotations

import os
import re
import shutil
import struct
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from hearflow.errors import ConfigError
from hearflow.models import TrackerReport
from hearflow.store.store import Store
from hearflow_scorecard import HtmlFormatter
from hearflow_scorecard.render import render_scorecard
from hearflow_scorecard.timecode import clock
from hearflow_scorecard.transcript_view import mark_phrases
from media import ROOT
from scorecard_fixtures import (analysis_record, bare_call, failed_analysis_call, mono_call, quiet_trackers_call,
                                single_speaker_call, support_call)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = ROOT / "docs" / "scorecard.png"
SCREENSHOTS = ROOT / "docs"  # scorecard-<kind>.png, refreshed with HEARFLOW_UPDATE_SCREENSHOT=1
DIMENSION_TITLES = ("Sentiment", "Intent", "Resolution", "Agent performance", "Escalation risk", "Satisfaction",
                    "Compliance", "Key topics", "Action items")


def count(html: str, pattern: str) -> int:
    return len(re.findall(pattern, html))


def test_full_card_shows_every_section():
    result = support_call()
    html = render_scorecard(result)
    for text in ("5c0f3e9a7b2d4e61", "northwind-support-0412.wav", "01:31", "2024-04-12T09:31:05Z",
                 "SPEAKER_1", "SPEAKER_2", "63%", "37%", "Interactivity", "Patience", "Silence", "Overlaps",
                 result.analysis.analysis.summary, "Partially resolved", "Issues found",
                 "Identity confirmed by account number only", "3/5", "cancellation threat", "llama3.1:8b"):
        assert text in html, text
    for title in DIMENSION_TITLES:
        assert f">{title}<" in html, title
    assert count(html, r'<li>Refund the duplicate \$49 charge') == 1
    assert count(html, r'<rect class="segment"') == len(result.segments)
    assert count(html, r'<g class="tracker-hit"') == len(result.report("trackers", TrackerReport).hits) == 7
    assert "<title>billing: “duplicate charge” at 00:30 (SPEAKER_1)</title>" in html
    assert count(html, r'<tr class="tracker-row"') == 3
    assert count(html, r"<mark ") == 7  # every hit is highlighted in the transcript
    assert "Heuristic analysis" not in html and "Analysis failed" not in html


def test_card_is_self_contained():
    html = render_scorecard(support_call())
    assert not re.search(r"https?://|<script|<link|@import|\ssrc=", html)


def test_speaker_colours_agree_across_sections():
    html = render_scorecard(support_call())
    agent_blue, customer_orange = "#2563eb", "#ea580c"
    assert 'data-speaker="SPEAKER_1" x="0.0" y="0" width="' in html
    assert count(html, rf'data-speaker="SPEAKER_1"[^>]*fill="{agent_blue}"') == 6  # talk slice + 5 segments
    assert count(html, rf'data-speaker="SPEAKER_2"[^>]*fill="{customer_orange}"') == 6
    assert count(html, rf'<li style="--c: {customer_orange}"><time>') == 5  # transcript lines


def test_card_without_metrics_or_analysis():
    html = render_scorecard(bare_call())
    assert "No conversation metrics for this call." in html
    assert "No trackers ran on this call." in html
    assert "This call has not been analysed." in html
    assert count(html, r'<rect class="segment"') == 10 and "tracker-hit" not in html
    assert "SPEAKER_1 · 63%" in html  # the split falls back to the stored speaker timing


def test_failed_analysis_shows_code_and_message():
    html = render_scorecard(failed_analysis_call())
    assert "Analysis failed" in html and "error[analysis_failed]" in html
    assert "not valid JSON after 3 attempts" in html and "3 attempts" in html
    assert "Sentiment" not in html


def test_heuristic_analysis_is_marked():
    html = render_scorecard(support_call(analysis=analysis_record(heuristic=True)))
    assert "Heuristic analysis." in html and "not a language model" in html
    assert "Partially resolved" in html


def test_single_unlabelled_speaker():
    html = render_scorecard(single_speaker_call())
    assert count(html, r'<rect class="segment" data-speaker="SPEAKER_1"') == 2
    assert "SPEAKER_2" not in html and ">agent<" not in html
    assert "SPEAKER_1 · 100%" in html and "not measured" in html and "no agent found" in html


def test_call_without_speech_still_renders():
    html = render_scorecard(support_call(segments=(), speaker_timing={}, metrics={}, analysis=None))
    assert "no speech found" in html and "No speech was transcribed." in html


def test_text_from_the_call_is_escaped():
    html = render_scorecard(support_call(source="<b>odd</b>.wav", analysis=None,
                                         segments=(single_speaker_call().segments[0].model_copy(
                                             update={"text": "<script>alert(1)</script> & more"}),)))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;odd&lt;/b&gt;.wav" in html


def test_phrases_are_marked_whole_word_and_case_blind():
    parts = mark_phrases("Price up? The pricing is priceless.", {"price": "pricing", "pricing": "pricing"})
    assert [text for text, tracker in parts if tracker] == ["Price", "pricing"]
    assert "".join(text for text, _ in parts) == "Price up? The pricing is priceless."


def test_clock_labels():
    assert [clock(0), clock(59.9), clock(61), clock(3725)] == ["00:00", "00:59", "01:01", "1:02:05"]


def test_html_formatter_renders_the_card():
    assert (HtmlFormatter.name, HtmlFormatter.extension) == ("html", "html")
    assert HtmlFormatter().render(support_call()).startswith("<!DOCTYPE html>")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for every screenshot in this module."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is required for this test and was not found at {CHROMIUM} "
                    "(install the Debian 'chromium' package)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Shown:
    """A card opened in the shared browser, with what went wrong on the page."""

    def __init__(self, browser, html: str, folder: Path):
        self.card = folder / "card.html"
        self.card.write_text(html, encoding="utf-8")
        self.errors, self.foreign = [], []
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: request.url.startswith("file:") or self.foreign.append(request.url))
        self.page.goto(self.card.as_uri())

    def screenshot(self, name: str) -> bytes:
        shot = self.card.with_name(f"{name}.png")
        self.page.screenshot(path=str(shot), full_page=True)
        self.page.close()
        assert self.errors == [] and self.foreign == []
        if os.environ.get("HEARFLOW_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, SCREENSHOT if name == "scorecard" else SCREENSHOTS / f"{name}.png")
        return shot.read_bytes()


def test_card_renders_in_chromium(browser, tmp_path):
    result = support_call()
    shown = Shown(browser, render_scorecard(result), tmp_path)
    page = shown.page
    for chart in ("svg.talk-split", "svg.speaker-timeline"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 500 and box["height"] > 20, chart
    segments = page.locator("svg.speaker-timeline rect.segment")
    assert segments.count() == len(result.segments)
    assert all(segments.nth(i).bounding_box()["width"] > 0 for i in range(segments.count()))
    markers = page.locator("svg.speaker-timeline g.tracker-hit")
    assert markers.count() == len(result.report("trackers", TrackerReport).hits)
    assert markers.first.locator("title").text_content() == "technical: “internet” at 00:06 (SPEAKER_2)"
    assert page.locator("section.analysis .dim").count() == 8
    assert page.locator("header .separation").inner_text() == "channel split (one speaker per channel)"
    assert page.locator("section.talk .legend .role").all_inner_texts() == ["agent", "customer"]
    data = shown.screenshot("scorecard")
    width, height = png_size(data)
    assert width == 1100 and height > 1500 and len(data) > 50_000


def test_mono_card_in_chromium_names_the_diarizer_and_every_role(browser, tmp_path):
    result = mono_call()
    shown = Shown(browser, render_scorecard(result), tmp_path)
    page = shown.page
    assert page.locator("header .separation").inner_text() == "diarized by embedded"
    assert page.locator("section.talk .legend .role").all_inner_texts() == ["agent", "customer", "other"]
    assert page.locator("section.metrics .speaker-stats .role").all_inner_texts() == ["agent", "customer", "other"]
    assert page.locator("svg.speaker-timeline .tl-role").all_text_contents() == ["agent ", "customer ", "other "]
    assert page.locator("svg.speaker-timeline rect.segment").count() == len(result.segments)
    width, height = png_size(shown.screenshot("scorecard-mono"))
    assert width == 1100 and height > 1500


@pytest.fixture(scope="module")
def no_speech_card(tmp_path_factory):
    """A 0.02 s recording through the real pipeline and the html format: (call JSON, card HTML)."""
    import json
    import subprocess

    from conftest import run_cli

    work = tmp_path_factory.mktemp("no-speech")
    blip = work / "blip.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(blip), "trim", "0", "0.02"], check=True)
    done = run_cli("analyze", blip, "-f", "html", "-o", work, "--db", work / "h.db", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), (work / "blip.html").read_text(encoding="utf-8")


def test_a_call_without_speech_is_not_analysed(no_speech_card):
    result, html = no_speech_card
    assert result["segments"] == [] and result["insights"] is None and result["analysis"] is None
    assert "no speech found: the call was not analysed" in result["notes"]
    assert "No speech." in html and "Not analysed: the recording has no speech." in html
    assert "Agent performance" not in html and "Poor" not in html


def test_no_speech_card_in_chromium(browser, no_speech_card, tmp_path):
    _, html = no_speech_card
    shown = Shown(browser, html, tmp_path)
    page = shown.page
    assert page.locator(".callout.no-speech").inner_text().startswith("No speech.")
    assert page.locator("section.analysis .not-analysed").is_visible()
    assert page.locator("section.analysis .dim").count() == 0
    assert "no speech found" in page.locator("svg.talk-split").text_content()
    width, height = png_size(shown.screenshot("scorecard-no-speech"))
    assert width == 1100 and height > 500


def test_trackers_without_hits_say_so():
    html = render_scorecard(quiet_trackers_call())
    assert "No hits: none of the 3 trackers (billing, churn, technical) matched anything said." in html
    assert 'class="tracker-row"' not in html and 'class="bin"' not in html


def test_every_speaker_has_a_role():
    html = render_scorecard(support_call())
    assert count(html, r'<span class="badge role role-agent">agent</span>') == 2  # talk legend and metrics
    assert count(html, r'<span class="badge role role-customer">customer</span>') == 2
    assert "Diarized" not in html
    voicemail = render_scorecard(single_speaker_call())  # no agent found: no role is guessed
    assert "role unknown" in voicemail and ">agent<" not in voicemail


def test_offline_key_topics_leave_out_names():
    from hearflow_offline import OfflineAnalyzer
    from llm_fakes import support_call as spoken_support_call

    call = spoken_support_call()
    assert call.text.count("Alex") == 2  # said twice, so it would count as a frequent word
    topics = OfflineAnalyzer().analyze(call).analysis.key_topics
    assert topics and not any("alex" in topic.lower() for topic in topics), topics


@pytest.fixture
def stored(tmp_path):
    """A store holding the full fixture call: (db path, call id)."""
    db, result = tmp_path / "h.db", support_call()
    store = Store(db)
    try:
        store.save(result)
    finally:
        store.close()
    return db, result.id


def test_scorecard_command_writes_the_card(cli, stored, tmp_path):
    db, call_id = stored
    out = tmp_path / "cards" / "card.html"
    done = cli("scorecard", call_id[:6], "-o", out, "--db", db)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and call_id in html
    assert count(html, r'<rect class="segment"') == 10


def test_scorecard_command_defaults_to_the_call_id(cli, stored, tmp_path):
    db, call_id = stored
    work = tmp_path / "here"
    work.mkdir()
    done = cli("scorecard", call_id, "--db", db, cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / f"{call_id}.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_scorecard_of_unknown_call_is_not_found(cli, stored, tmp_path):
    db, _ = stored
    done = cli("scorecard", "nope", "-o", tmp_path / "x.html", "--db", db)
    assert done.returncode == 1 and "error[not_found]" in done.stderr
    assert not (tmp_path / "x.html").exists()


def test_show_renders_html_through_the_formatter(cli, stored):
    db, call_id = stored
    done = cli("show", call_id, "-f", "html", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>") and "Call scorecard" in done.stdout


@pytest.fixture
def own_templates(tmp_path):
    """A user template directory: its own page that reuses one shipped section."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "scorecard.html.j2").write_text(
        "<h1>Team card {{ result.id }}</h1>\n{% include 'scorecard/talk.html.j2' %}\n", encoding="utf-8")
    return folder


def test_templates_option_overrides_the_page(cli, stored, own_templates, tmp_path):
    db, call_id = stored
    out = tmp_path / "card.html"
    done = cli("scorecard", call_id, "-o", out, "--db", db, "--templates", own_templates)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith(f"<h1>Team card {call_id}</h1>") and 'class="talk-split"' in html
    shown = cli("show", call_id, "-f", "html", "--db", db, env={"HEARFLOW_TEMPLATES": str(own_templates)})
    assert shown.stdout.startswith(f"<h1>Team card {call_id}</h1>")


def test_one_section_can_be_overridden(tmp_path):
    (tmp_path / "scorecard").mkdir()
    (tmp_path / "scorecard" / "transcript.html.j2").write_text("<p>{{ transcript|length }} lines</p>")
    html = render_scorecard(support_call(), str(tmp_path))
    assert "<p>10 lines</p>" in html and 'class="speaker-timeline"' in html


def test_broken_template_is_a_coded_error(cli, stored, tmp_path):
    db, call_id = stored
    (tmp_path / "scorecard.html.j2").write_text("{{ result.no_such_field }}")
    done = cli("scorecard", call_id, "-o", tmp_path / "x.html", "--db", db, "--templates", tmp_path)
    assert done.returncode == 1 and "error[invalid_template]" in done.stderr
    assert "no_such_field" in done.stderr
    (tmp_path / "scorecard.html.j2").write_text("{% if %}")
    with pytest.raises(ConfigError, match="line 1"):
        render_scorecard(support_call(), str(tmp_path))
