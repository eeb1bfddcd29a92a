"""The ``hearflow`` click group, the options its commands share, and how errors are printed."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import click

from hearflow import __version__
from hearflow.errors import HearflowError

EXIT_FAILED = 1


class _Group(click.Group):
    """Turns coded errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HearflowError as exc:
            print_error(exc)
            ctx.exit(EXIT_FAILED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # e.g. `hearflow calls | head`: the reader left, not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:  # a bug: say so plainly; --debug shows where
            if os.environ.get("HEARFLOW_DEBUG"):
                traceback.print_exc()
            click.echo(f"error[internal]: {type(exc).__name__}: {exc}", err=True)
            click.echo("  hint: re-run with --debug for the traceback and report it", err=True)
            ctx.exit(EXIT_FAILED)


def print_error(exc: HearflowError, prefix: str = "") -> None:
    click.echo(f"{prefix}error[{exc.code}]: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"  hint: {exc.hint}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hearflow")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.option("--plugins-dir", type=click.Path(file_okay=False, exists=True), default=None, metavar="DIR",
              help="Load every *.py file in DIR as a plugin (also $HEARFLOW_PLUGINS_DIR).")
def cli(debug, plugins_dir):
    """hearflow: call recordings in, speaker-attributed transcripts and call metrics out.

    \b
    Quick start:
      hearflow example call.wav                       make a two-party test call
      hearflow analyze call.wav                       transcript + speaker timing
      hearflow analyze call.mp3 -f srt -f vtt -o out/ subtitles with speaker labels
      hearflow calls                                  what the store holds
      hearflow show CALL_ID --format json             a stored call as JSON
      hearflow export -o calls.csv                    one row per call, for spreadsheets
      hearflow plugins                                every stage and whether it can run

    Results are kept in a SQLite file (--db, $HEARFLOW_DB, default ~/.hearflow/hearflow.db).
    """
    if debug:
        os.environ["HEARFLOW_DEBUG"] = "1"


def open_store(db):
    from hearflow.store.store import Store

    return Store(db)


config_option = click.option(
    "--config", type=click.Path(exists=True, dir_okay=False), envvar="HEARFLOW_CONFIG",
    help="TOML settings file (mode, asr_options, metrics.trackers, analyzer, …); flags override it.")

db_option = click.option("--db", type=click.Path(dir_okay=False), envvar="HEARFLOW_DB",
                         help="SQLite file for results. [default: ~/.hearflow/hearflow.db]")


def format_option():
    # Names are checked against the registry, so plugin formats work too.
    return click.option("-f", "--format", "formats", multiple=True, metavar="NAME",
                        help="Output format to write (repeatable): json, srt, vtt, txt, rttm, html, a plugin's, "
                             "or all (every installed format).")


def settings_from(config, flags: dict, asr_flags: dict, diarizer_flags: dict | None = None):
    """Settings from --config (TOML), with command-line flags on top."""
    from hearflow.settings import AnalyzeSettings

    base = AnalyzeSettings.from_file(config) if config else AnalyzeSettings()
    data = base.model_dump()
    data.update(flags)
    data["asr_options"] = {**data["asr_options"], **{k: v for k, v in asr_flags.items() if v is not None}}
    data["diarizer_options"] = {**data["diarizer_options"], **(diarizer_flags or {})}
    return AnalyzeSettings.parse(data, source=str(config or "options"))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def plugins(as_json):
    """Every registered stage: kind, name, the plugin that registered it, and whether it can run."""
    from hearflow.plugins.manager import build_registry

    rows = []
    for kind, registration in build_registry().registrations():
        stage = registration.stage
        missing = stage.missing_modules()
        rows.append({"kind": kind, "name": stage.name, "plugin": registration.plugin,
                     "usable": not missing, "missing": missing, "extra": stage.extra,
                     "install": None if not missing else stage.install_hint(),
                     "description": stage.description})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "usable" if row["usable"] else f"needs {', '.join(row['missing'])}: {row['install']}"
        click.echo(f"{row['kind']:<10} {row['name']:<10} {row['plugin']:<10} {state}")
        click.echo(f"{'':<10} {row['description']}")


@cli.command()
@click.argument("path", default="example-call.wav", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mono", is_flag=True, help="Mix both parties into one channel instead of one each.")
def example(path, mono):
    """Write a short two-party support call to PATH (spoken by espeak-ng) to try hearflow on."""
    from hearflow.media.synth import build_call, write_call

    write_call(build_call(), path, stereo=not mono)
    click.echo(f"wrote {path} ({'mono' if mono else 'stereo: agent left, customer right'}); "
               f"now run: hearflow analyze {path}", err=True)
