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
from scorecard_fixtures import (analysis_record, bare_call, failed_analysis_call, single_speaker_call,
                                support_call)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = ROOT / "docs" / "scorecard.png"
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


def test_card_renders_in_chromium(tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is required for this test and was not found at {CHROMIUM} "
                    "(install the Debian 'chromium' package)")
    result = support_call()
    card = tmp_path / "card.html"
    card.write_text(render_scorecard(result), encoding="utf-8")
    shot = tmp_path / "card.png"
    errors, foreign = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: request.url.startswith("file:") or foreign.append(request.url))
            page.goto(card.as_uri())
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
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == [] and foreign == []
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == 1100 and height > 1500 and len(data) > 50_000
    if os.environ.get("HEARFLOW_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


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
