"""Plugin manager, registry and options: what a third-party plugin author relies on."""

from __future__ import annotations

import json
import textwrap

import pytest

from hearflow.errors import ConfigError
from hearflow.plugins.hookspecs import hookimpl
from hearflow.plugins.manager import build_registry, get_plugin_manager
from hearflow.plugins.stages import Formatter
from hearflow_whisper import WhisperAsr


def test_builtin_stages_come_from_entry_points():
    registry = build_registry()
    assert registry.names("decoder") == ["ffmpeg", "soundfile"]
    assert registry.names("separator") == ["channel", "embedded", "nemo", "none", "overlap", "pyannote"]
    assert registry.names("runner") == ["inprocess", "prefect"]
    assert registry.names("asr") == ["whisper"]
    assert registry.names("formatter") == ["html", "json", "rttm", "srt", "txt", "vtt"]
    plugins = {reg.stage.name: reg.plugin for _, reg in registry.registrations()}
    assert plugins["whisper"] == "whisper" and plugins["srt"] == "formats"


def test_duplicate_names_are_rejected():
    class AnotherSrt(Formatter):
        name = "srt"
        extension = "srt"

    class Clash:
        @hookimpl
        def register_formatters(self, register):
            register(AnotherSrt)

    pm = get_plugin_manager()
    pm.register(Clash(), name="clash")
    with pytest.raises(ConfigError) as caught:
        build_registry(pm)
    assert caught.value.code == "duplicate_stage"
    assert "clash" in caught.value.message and "formats" in caught.value.message


def test_wrong_kind_through_a_hook_is_rejected():
    class Sneaky:
        @hookimpl
        def register_decoders(self, register):
            register(WhisperAsr)

    pm = get_plugin_manager()
    pm.register(Sneaky(), name="sneaky")
    with pytest.raises(ConfigError, match="takes decoder stages"):
        build_registry(pm)


def test_options_forbid_unknown_keys():
    with pytest.raises(ConfigError) as caught:
        WhisperAsr({"beam_sise": 3})
    assert caught.value.code == "invalid_options" and "beam_sise" in caught.value.message
    assert WhisperAsr({"beam_size": 3}).options.beam_size == 3


def test_environment_limits_loaded_plugins(monkeypatch):
    monkeypatch.setenv("HEARFLOW_PLUGINS", "decode,formats")
    registry = build_registry()
    assert registry.names("asr") == [] and registry.names("decoder") == ["ffmpeg", "soundfile"]


def test_third_party_plugin_by_entry_point(tmp_path, cli, stereo_wav):
    """A plugin installed like any package (a module plus dist-info with an entry point) adds a
    formatter and a command, shows in `hearflow plugins`, and works on a stored call."""
    (tmp_path / "hearflow_shout.py").write_text(textwrap.dedent('''
        import click
        from hearflow import Formatter, hookimpl

        class Shout(Formatter):
            name = "shout"
            extension = "shout.txt"
            description = "the transcript in capitals"
            def render(self, result):
                return result.transcript.upper() + "\\n"

        @hookimpl
        def register_formatters(register):
            register(Shout)

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                """Say hello."""
                click.echo("hello from a plugin")
    '''))
    info = tmp_path / "hearflow_shout-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hearflow-shout\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hearflow]\nshout = hearflow_shout\n")
    env = {"PYTHONPATH": str(tmp_path)}

    listed = json.loads(cli("plugins", "--json", env=env).stdout)
    assert {"kind": "formatter", "name": "shout", "plugin": "shout"}.items() <= next(
        row for row in listed if row["name"] == "shout").items()
    assert cli("hello", env=env).stdout.strip() == "hello from a plugin"

    db = tmp_path / "h.db"
    analysed = cli("analyze", stereo_wav, "-q", "--json", "--db", db, env=env)
    assert analysed.returncode == 0, analysed.stderr
    call_id = json.loads(analysed.stdout)["id"]
    shown = cli("show", call_id, "-f", "shout", "--db", db, env=env)
    assert shown.stdout.startswith("SPEAKER_1: THANK YOU")


def test_plugins_command_lists_every_stage(cli):
    done = cli("plugins")
    assert done.returncode == 0
    for name in ("soundfile", "ffmpeg", "channel", "none", "whisper", "json", "srt", "vtt", "txt", "rttm"):
        assert f" {name} " in done.stdout
    assert "usable" in done.stdout
