"""``hearflow analyze`` and ``archive``: the commands that run the pipeline, through a runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hearflow.cli.common import (EXIT_FAILED, check_store, print_error, settings_from, cli, config_option, db_option,
                                 format_option)
from hearflow.errors import HearflowError


def diarizer_options(command):
    """Which diarizer handles mono calls, and the hints and options it gets."""
    for option in reversed([
        click.option("--diarizer", default=None, metavar="NAME",
                     help="Diarizer for mono calls: overlap, embedded, pyannote, nemo, none or a plugin's "
                          "(see `hearflow plugins`). [default: overlap when installed, else none]"),
        click.option("--num-speakers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Exact number of speakers, when known."),
        click.option("--min-speakers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="At least this many speakers."),
        click.option("--max-speakers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="At most this many speakers."),
        click.option("--diarizer-option", multiple=True, metavar="KEY=VALUE",
                     help="Any other diarizer option (repeatable), e.g. pipeline=/models/diarization "
                          "for pyannote. Values are read as JSON when they parse, else as text."),
    ]):
        command = option(command)
    return command


def asr_options(command):
    """Recogniser options both analyze and archive take (they become the ASR backend's options)."""
    for option in reversed([
        click.option("--vocabulary", default=None, metavar="WORD,WORD",
                     help="Names and terms to prefer (product names, people), comma-separated."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="Where Whisper runs. [default: auto — a CUDA GPU when CTranslate2 sees one]"),
        click.option("--compute-type", default=None, metavar="TYPE",
                     help="CTranslate2 precision: int8, float16, int8_float16, float32... "
                          "[default: auto — float16 on a GPU, int8 on the CPU]"),
        click.option("--batch-size", type=click.IntRange(min=0), default=None, metavar="N",
                     help="Decode N clips of speech at once (batched inference); 0 decodes "
                          "sequentially. [default: 0]"),
    ]):
        command = option(command)
    return command


def _asr_flags(vocabulary, device, compute_type, batch_size) -> dict:
    return {"vocabulary": vocabulary, "device": device, "compute_type": compute_type, "batch_size": batch_size}


redact_option = click.option(
    "--redact", multiple=True, metavar="KINDS",
    help="Replace PII before anything reads or stores the text: pii (all of them), or card, phone, email, "
         "id, number, comma-separated or repeated. Part of the call's identity.")


def run_options(command):
    """Options every command that runs the pipeline shares."""
    for option in reversed([
        redact_option,
        click.option("--runner", default=None, metavar="NAME",
                     help="inprocess or prefect (see `hearflow plugins`). [default: prefect when a Prefect server "
                          "is configured (PREFECT_API_URL), else inprocess]"),
        click.option("--analyzer", default=None, metavar="NAME",
                     help="offline, anthropic, openai-compatible or none. [default: auto — an LLM analyzer "
                          "whose key is set, else offline]"),
        config_option,
        click.option("--no-reuse", is_flag=True, help="Analyse again even when the store already has the call."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text."),
        click.option("-q", "--quiet", is_flag=True, help="No progress on stderr."),
        click.option("-v", "--verbose", is_flag=True, help="Show Prefect's flow and task logs."),
        db_option,
    ]):
        command = option(command)
    return command


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--mode", type=click.Choice(["auto", "channel", "mono"]), default=None,
              help="auto: split true stereo by channel, otherwise the mono path. channel: one speaker per "
                   "channel (falls back to mono, with a note, when the channels are identical). [default: auto]")
@format_option()
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where --format files go, named after the recording.")
@click.option("--model", default=None, metavar="NAME|DIR",
              help="Whisper model: tiny.en, base, a local CTranslate2 directory or a model name. [default: auto — "
                   "embedded tiny.en for English, embedded base for other languages and detection]")
@click.option("--language", default=None, metavar="BCP-47",
              help="Spoken language, e.g. en-US or hi-IN. [default: auto-detect]")
@click.option("--asr", default=None, help="ASR backend by name (see `hearflow plugins`). [default: whisper]")
@asr_options
@diarizer_options
@click.option("--max-size", type=click.FloatRange(min=0.001), default=None, metavar="MB",
              help="Refuse files larger than this. [default: 100]")
@click.option("--redact-audio", is_flag=True,
              help="With --redact: also write NAME.redacted.wav to --out-dir, every redacted span silenced.")
@run_options
def analyze(files, mode, formats, out_dir, model, language, asr, vocabulary, device, compute_type, batch_size,
            diarizer, num_speakers, min_speakers, max_speakers, diarizer_option, max_size, redact_audio, redact,
            runner, analyzer, config, no_reuse, as_json, quiet, verbose, db):
    """Transcribe recordings with speakers, store them, and write the requested formats.

    FILES may be WAV, MP3, MP4, M4A, OGG, FLAC, WebM, AAC or AMR, stereo or mono, or https URLs
    (fetched to a temporary file, deleted after analysis, never stored). A file that
    fails is reported with a coded error and the rest still run; the exit code is 1 if any failed.

    \b
    Examples:
      hearflow analyze call.wav
      hearflow analyze call.mp3 --mode channel -f srt -f vtt -o out/
      hearflow analyze *.wav --language en-US --json > results.jsonl
    """
    flags = {name: value for name, value in {
        "mode": mode, "asr": asr, "diarizer": diarizer, "analyzer": analyzer,
        "max_bytes": int(max_size * 1e6) if max_size else None, "redact": list(redact) or None,
    }.items() if value is not None}  # flags left out keep the --config or default value
    settings = settings_from(config, flags, {"model": model, "language": language,
                                             **_asr_flags(vocabulary, device, compute_type, batch_size)},
                             _diarizer_flags(num_speakers, min_speakers, max_speakers, diarizer_option, device))
    if redact_audio and not settings.redact:
        from hearflow.errors import ConfigError

        raise ConfigError("--redact-audio needs --redact (or redact in --config)", code="invalid_options")
    session = _Session(settings, runner, formats, db, verbose, quiet)
    failures = 0
    for index, path in enumerate(files):
        if len(files) > 1 and not quiet:
            click.echo(f"[{index + 1}/{len(files)}] {path}", err=True)
        try:
            outcome = session.analyze(str(path), out_dir, reuse=not no_reuse)
            if redact_audio:
                outcome.outputs.append(str(_write_redacted_audio(session.engine, outcome.result, str(path), out_dir)))
        except HearflowError as exc:
            failures += 1
            session.progress.clear()
            print_error(exc, prefix=f"{path}: ")
            continue
        session.progress.clear()
        _print_outcome(outcome, as_json)
        if not outcome.stored:
            failures += 1
    session.close()
    if failures:
        click.echo(f"{failures} of {len(files)} file(s) failed", err=True)
        sys.exit(EXIT_FAILED)


class _Session:
    """What one ``analyze`` command shares across its files: the engine, the store, the runner.

    A call the store already has is answered from it before any model, flow or Prefect import;
    the first call that needs work prepares the stages (a bad model fails before any audio work).
    """

    def __init__(self, settings, runner_name, formats, db, verbose, quiet):
        from hearflow.pipeline.inprocess import engine_for
        from hearflow.pipeline.runners import choose_runner
        from hearflow.progress import set_reporter
        from hearflow.store.store import Store

        self.engine = engine_for(settings)
        self.runner = choose_runner(self.engine.registry, runner_name)
        self.formats = list(formats)
        self.engine.check_formats(self.formats)  # an unknown format fails before any work
        self.db, self.verbose, self.quiet = db, verbose, quiet
        self.store = Store(db)
        self.prepared = False
        self.progress = _StderrProgress(enabled=not quiet)
        set_reporter(self.progress if not quiet else None)

    def analyze(self, source: str, out_dir, reuse: bool):
        from hearflow.media.audiofile import inspect
        from hearflow.media.fetch import is_url
        from hearflow.pipeline.runner import stored_outcome

        engine = self.engine
        if not is_url(source):
            inspect(source, max_bytes=engine.settings.max_bytes)  # instant errors before any model loads
            if reuse:
                stored = stored_outcome(engine, self.store, engine.fingerprint(source).sha256, self.formats, out_dir)
                if stored is not None:
                    return stored
        if not self.prepared:
            engine.prepare(self.formats)
            self.prepared = True
        if self.runner.name == "prefect":
            from hearflow_flows.prefect_env import quiet_prefect

            quiet_prefect(self.verbose, self.quiet)
        # A local file was just looked up in the store; only a URL's bytes are known once fetched.
        return self.runner.analyze(source, engine.settings, db_path=self.db, formats=self.formats,
                                   out_dir=str(out_dir), reuse=reuse and is_url(source))

    def close(self) -> None:
        from hearflow.progress import set_reporter

        set_reporter(None)
        self.runner.close()
        self.store.close()


def _write_redacted_audio(engine, result, source: str, out_dir: Path) -> Path:
    """Decode the recording again (no runner keeps samples) and silence what was redacted."""
    from hearflow.media.fetch import local_copy
    from hearflow.media.silence import write_silenced
    from hearflow.output.files import output_stem
    from hearflow.pipeline.redact import placeholder_spans

    with local_copy(source, max_bytes=engine.settings.max_bytes) as path:
        audio = engine.decode(engine.fingerprint(path), rate=None)  # at the recording's own rate
    return write_silenced(audio, placeholder_spans(result), Path(out_dir) / f"{output_stem(result)}.redacted.wav")


def _diarizer_flags(num_speakers, min_speakers, max_speakers, pairs, device=None) -> dict:
    from hearflow.settings import parse_pairs

    # --device places the diarizer's model too, where its backend can run on a GPU
    hints = {"num_speakers": num_speakers, "min_speakers": min_speakers, "max_speakers": max_speakers,
             "device": device}
    return {**parse_pairs(pairs), **{k: v for k, v in hints.items() if v is not None}}


def _print_outcome(outcome, as_json: bool) -> None:
    result = outcome.result
    if outcome.store_error is not None:  # the transcript below and the formats are all there is of it
        click.echo(f"error[{outcome.store_error.code}]: {outcome.store_error.message}; the transcript is "
                   f"printed and written to the requested formats only", err=True)
    if as_json:
        click.echo(json.dumps(result.to_response(), ensure_ascii=False))
        return
    status = "reused stored result" if outcome.reused else "stored" if outcome.stored else "NOT stored"
    diarizer = f"diarizer {result.separator} · " if result.mode == "mono" and result.separator else ""
    click.echo(f"call {result.id} · {result.audio_seconds:.1f} s · mode {result.mode} · {diarizer}"
               f"language {result.language or '?'} · {status}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(result.transcript)
    click.echo("")
    click.echo("Speaker timing:")
    total = sum(result.speaker_timing.values()) or 1.0
    for speaker, seconds in result.speaker_timing.items():
        click.echo(f"  {speaker}: {seconds:.1f} s ({100 * seconds / total:.0f}%)")
    record = result.analysis
    if record and record.analysis:
        kind = "heuristic" if record.heuristic else record.model
        click.echo(f"\nAnalysis ({record.analyzer}, {kind}):")
        click.echo("  " + record.analysis.as_text().replace("\n", "\n  "))
        click.echo(f"Summary: {record.analysis.summary}")
    elif record and record.error:
        click.echo(f"analysis failed, transcript kept: error[{record.error.code}]: {record.error.message}",
                   err=True)
    for path in outcome.outputs:
        click.echo(f"wrote {path}", err=True)
    for report in outcome.deliveries:
        last = report.attempts[-1] if report.attempts else None
        detail = (last.error or f"HTTP {last.status}") if last else "no attempt"
        state = "delivered" if report.delivered else f"NOT delivered ({detail}; see the deliveries table)"
        click.echo(f"{report.sink}: {state} to {report.target} after {len(report.attempts)} attempt(s)", err=True)


class _StderrProgress:
    """One updating line on a terminal; one line per stage change elsewhere (logs stay readable).
    With ``only``, other stages are not shown (an archive shows files, not each call's stages)."""

    def __init__(self, only: str | None = None, enabled: bool = True):
        self.tty = sys.stderr.isatty() and enabled
        self.last = None
        self.only = only
        self.dirty = False  # a progress line is on screen and not ended

    def clear(self) -> None:
        """Wipe an unfinished progress line, so what is printed next starts clean."""
        if self.dirty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.dirty = False

    def __call__(self, stage, fraction=None, detail=""):
        if self.only and stage != self.only:
            return
        if self.only and fraction is not None:
            filled = int(fraction * 24)
            line = f"[{'#' * filled}{'.' * (24 - filled)}] {fraction:4.0%} {detail}"
            sys.stderr.write(f"\r\033[K{line}" if self.tty else f"{line}\n")
            if self.tty and fraction == 1.0:
                sys.stderr.write("\n")
            self.dirty = self.tty and fraction != 1.0
            sys.stderr.flush()
        elif self.tty:
            percent = f" {fraction:4.0%}" if fraction is not None else ""
            sys.stderr.write(f"\r\033[K{stage}{percent} {detail}")
            if fraction == 1.0:
                sys.stderr.write("\n")
            self.dirty = fraction != 1.0
            sys.stderr.flush()
        elif (stage, detail) != self.last and fraction in (None, 0.0, 1.0):
            sys.stderr.write(f"{stage}: {detail}\n")
        self.last = (stage, detail)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--pattern", default="**/*", show_default=True,
              help="Glob for directories; the default takes files with an audio extension.")
@click.option("-w", "--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Calls processed at once on this machine.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run the calls on a Dask cluster (tcp://host:8786) instead of local threads.")
@format_option()
@click.option("-o", "--out-dir", type=click.Path(file_okay=False), default=None,
              help="Where --format files go. [default: .]")
@asr_options
@diarizer_options
@run_options
def archive(sources, pattern, workers, dask_address, formats, out_dir, vocabulary, device, compute_type,
            batch_size, diarizer, num_speakers, min_speakers, max_speakers, diarizer_option, redact, runner,
            analyzer, config, no_reuse, as_json, quiet, verbose, db):
    """Analyse every recording in directories, .txt lists or https URLs, and store them all.

    Calls already stored are skipped, the same bytes twice are processed once, and a bad file is
    recorded with its coded error while the rest go on. Safe to interrupt: run it again and it
    finishes the rest. Exit code 1 if any file failed.

    \b
    Examples:
      hearflow archive /calls
      hearflow archive /calls --pattern '2026-11-*/*.wav' -w 4 -f html -o cards/
      hearflow archive calls.txt --json > run.json
    """
    from hearflow.pipeline.inprocess import engine_for
    from hearflow.pipeline.runners import choose_runner
    from hearflow.progress import set_reporter

    flags = {name: value for name, value in {"analyzer": analyzer, "diarizer": diarizer,
                                             "redact": list(redact)}.items() if value}
    settings = settings_from(config, flags, _asr_flags(vocabulary, device, compute_type, batch_size),
                             _diarizer_flags(num_speakers, min_speakers, max_speakers, diarizer_option, device))
    check_store(db)  # a store that cannot take the results fails before any file is read
    engine = engine_for(settings)
    engine.check_formats(formats)  # the models are checked once a file needs them
    chosen = choose_runner(engine.registry, runner or ("prefect" if dask_address else None))
    if chosen.name == "prefect":
        from hearflow_flows.prefect_env import quiet_prefect

        quiet_prefect(verbose, quiet)
    progress = _StderrProgress(only="archive", enabled=not (quiet or as_json))
    set_reporter(progress if not (quiet or as_json) else None)
    try:
        summary = chosen.archive(list(sources), settings, db_path=db, pattern=pattern, workers=workers,
                                 dask_address=dask_address, formats=list(formats), out_dir=out_dir,
                                 reuse=not no_reuse)
    finally:
        progress.clear()
        set_reporter(None)
        chosen.close()
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
    else:
        _print_summary(summary)
    if summary.failed:
        sys.exit(EXIT_FAILED)


def _print_summary(summary) -> None:
    click.echo(f"archive run {summary.run_id}")
    for label, value in (("found", summary.found), ("processed", summary.processed),
                         ("skipped (stored)", summary.skipped), ("duplicates", summary.duplicates),
                         ("failed", summary.failed),
                         ("audio", f"{summary.audio_seconds / 60:.1f} min"),
                         ("wall time", f"{summary.wall_seconds:.1f} s"),
                         ("throughput", f"{summary.calls_per_minute:.2f} calls/min, "
                                        f"{summary.audio_hours_per_hour:.2f} audio h/h")):
        click.echo(f"  {label:<17} {value}")
    for failure in summary.failures:
        click.echo(f"  failed: {failure['source']}: error[{failure['code']}]: {failure['message']}")
