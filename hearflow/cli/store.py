"""``hearflow show``, ``ask``, ``eval``, ``calls`` and ``search``: commands on stored calls."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hearflow.cli.common import settings_from, open_store, cli, config_option, db_option


@cli.command()
@click.argument("call_id")
@click.option("-f", "--format", "formats", multiple=True, metavar="NAME",
              help="json, srt, vtt, txt, rttm, html, a plugin's format, or all (repeatable). [default: txt]")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write files here (named after the recording) instead of printing; "
                   "needed for more than one format. [default: . for several formats]")
@db_option
def show(call_id, formats, out_dir, db):
    """Print a stored call in any output format, or write several as files. CALL_ID may be a
    unique prefix.

    \b
    Examples:
      hearflow show e43f                      the transcript as text
      hearflow show e43f -f all -o e43f/      every installed format, one file each
    """
    from hearflow.output.files import expand_formats, write_outputs
    from hearflow.plugins.manager import build_registry

    registry = build_registry()
    names = expand_formats(registry, formats or ["txt"])
    formatters = [registry.get("formatter", name) for name in names]  # an unknown name fails first
    store = open_store(db)
    try:
        result = store.get(call_id)
    finally:
        store.close()
    if out_dir is None and len(formatters) == 1:
        click.echo(formatters[0]().render(result), nl=False)
        return
    for path in write_outputs(registry, result, names, out_dir or Path(".")):
        click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("call_id")
@click.argument("question")
@click.option("--analyzer", default=None, metavar="NAME", help="Which analyzer answers. [default: auto]")
@config_option
@db_option
def ask(call_id, question, analyzer, config, db):
    """Ask a question about a stored call; the answer is stored with it.

    \b
    Example:
      hearflow ask e43f "Did the customer agree to the terms?"
    """
    from hearflow.pipeline.engine import Engine

    settings = settings_from(config, {"analyzer": analyzer} if analyzer else {}, {})
    store = open_store(db)
    try:
        result = store.get(call_id)
        answer = Engine(settings).ask(result, question)
        store.save_answer(result.id, answer)
    finally:
        store.close()
    click.echo(answer.answer)
    for quote in answer.quotes:
        click.echo(f"  > {quote}")
    click.echo(f"({answer.analyzer}{', ' + answer.model if answer.model else ''})", err=True)


@cli.command(name="eval")
@click.argument("call_id")
@click.option("--rttm", type=click.Path(exists=True, dir_okay=False), help="Reference speaker turns (RTTM).")
@click.option("--text", "reference", type=click.Path(exists=True, dir_okay=False),
              help="Reference transcript: plain text, or STM.")
@click.option("--collar", default=0.25, show_default=True, help="Seconds forgiven around reference boundaries.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@db_option
def evaluate(call_id, rttm, reference, collar, as_json, db):
    """Score a stored call: DER against a reference RTTM, WER against a reference transcript.

    \b
    Example:
      hearflow eval e43f --rttm call.rttm --text call.stm
    """
    import importlib.util

    from hearflow.evaluation import scoring
    from hearflow.errors import StageUnavailableError

    if not rttm and not reference:
        raise click.UsageError("give --rttm, --text or both")
    missing = [m for m in ("pyannote.metrics", "jiwer") if importlib.util.find_spec(m) is None]
    if missing:
        raise StageUnavailableError(f"scoring needs {', '.join(missing)}", hint="pip install 'hearflow[diarize]'")
    store = open_store(db)
    try:
        result = store.get(call_id)
    finally:
        store.close()
    scores = {"call": result.id, "speakers": len(result.speaker_timing)}
    if rttm:
        scores["der"] = round(scoring.der(scoring.rttm_turns(rttm), scoring.result_turns(result), collar), 4)
        scores["collar"] = collar
    if reference:
        scores["wer"] = round(scoring.wer(scoring.reference_text(reference), result.text), 4)
    if as_json:
        click.echo(json.dumps(scores))
        return
    for name, value in scores.items():
        click.echo(f"{name:<9} {value}")


@cli.command()
@click.option("-n", "--limit", default=50, show_default=True)
@db_option
def calls(limit, db):
    """List stored calls, newest first."""
    store = open_store(db)
    try:
        rows = store.calls(limit)
    finally:
        store.close()
    if not rows:
        click.echo(f"no calls stored in {store.path}", err=True)
    for row in rows:
        click.echo(f"{row['id']}  {row['audio_seconds']:7.1f} s  {row['speakers']} spk  {row['mode']:<7}  "
                   f"{row['stored_at']}  {row['source']}")


@cli.command()
@click.argument("query")
@click.option("-n", "--limit", default=20, show_default=True)
@db_option
def search(query, limit, db):
    """Full-text search over stored transcripts (SQLite FTS5 syntax: "exact phrase", refund OR return)."""
    store = open_store(db)
    try:
        rows = store.search(query, limit)
    finally:
        store.close()
    for row in rows:
        click.echo(f"{row['call_id']}  {row['start']:7.1f}s  {row['speaker']}: {row['text']}")
    if not rows:
        click.echo("no matches", err=True)
