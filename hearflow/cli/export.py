"""``hearflow export`` (stored calls as CSV or JSONL) and ``hearflow datasette-metadata``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hearflow.cli.common import cli, db_option, open_store


@cli.command()
@click.option("--format", "format_", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write. [default: standard output]")
@click.option("--since", default=None, metavar="DATE",
              help="Only calls stored at or after this date or UTC time (2026-12-01, 2026-12-01T09:30:00Z).")
@db_option
def export(format_, output, since, db):
    """One row per stored call: id, source, duration, mode, speakers with talk time and ratio,
    the call metrics, tracker hits and the nine analysis dimensions.

    \b
    Examples:
      hearflow export -o calls.csv
      hearflow export --format jsonl --since 2026-12-01 > december.jsonl
    """
    from hearflow.output.files import write_atomic
    from hearflow.store.export import export_rows, render

    store = open_store(db)
    try:
        header, rows = export_rows(store.db, since)
    finally:
        store.close()
    text = render(header, rows, format_)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {len(rows)} call(s) to {output}", err=True)


@cli.command(name="datasette-metadata")
@click.option("--yaml", "as_yaml", is_flag=True, help="YAML instead of JSON.")
@db_option
def datasette_metadata(as_yaml, db):
    """Print Datasette metadata for the store: table titles and descriptions, facets, internals hidden.

    \b
    Example:
      hearflow datasette-metadata > metadata.json
      datasette ~/.hearflow/hearflow.db --metadata metadata.json
    """
    from hearflow.store.datasette import metadata
    from hearflow.store.store import default_db_path

    data = metadata(db or default_db_path())
    if as_yaml:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    else:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
