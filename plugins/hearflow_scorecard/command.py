"""``hearflow scorecard``: a stored call written as an HTML scorecard."""

from __future__ import annotations

from pathlib import Path

import click


def add_scorecard_command(cli: click.Group) -> None:
    # Imported here: hearflow.cli is the module that calls this hook, so it is loaded by now.
    from hearflow import db_option

    @cli.command()
    @click.argument("call_id")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="HTML file to write. [default: CALL_ID.html in this directory]")
    @click.option("--templates", type=click.Path(exists=True, file_okay=False), default=None, metavar="DIR",
                  help="Directory whose scorecard.html.j2 (or scorecard/ partials) replace the shipped "
                       "ones. [default: $HEARFLOW_TEMPLATES]")
    @db_option
    def scorecard(call_id, output, templates, db):
        """Write a stored call as a self-contained HTML scorecard: talk-time split, speaker timeline
        with tracker hits, metrics, analysis and the transcript. CALL_ID may be a unique prefix.

        \b
        Examples:
          hearflow scorecard 3f2a -o card.html
          hearflow scorecard 3f2a --templates my-templates/
        """
        from hearflow import write_atomic
        from hearflow_scorecard.render import render_scorecard

        result = load_call(db, call_id)
        path = output or Path(f"{result.id}.html")
        write_atomic(path, render_scorecard(result, templates))
        click.echo(f"wrote {path}", err=True)


def load_call(db, call_id: str):
    from hearflow import Store

    store = Store(db, writable=False)  # a scorecard only reads
    try:
        return store.get(call_id)
    finally:
        store.close()
