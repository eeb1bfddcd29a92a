"""``hearflow api`` (the HTTP service), ``hearflow keys`` (its API keys) and ``hearflow usage``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from hearflow.cli.common import cli, config_option, db_option, settings_from

SIGNING_SECRET_ENV = "HEARFLOW_API_SIGNING_SECRET"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=0),
              help="Calls computed at once by the worker process, sharing its one model (0: only queue). "
                   "With --prefect: jobs handed to the work pool at once.")
@click.option("--prefect", is_flag=True, default=None, envvar="HEARFLOW_API_PREFECT",
              help="Run each job as a flow run of the transcribe-job deployment on a Prefect work pool "
                   "(needs PREFECT_API_URL); add workers with `hearflow worker --pool POOL` (the model loaded once each).")
@click.option("--work-pool", default=None, envvar="HEARFLOW_API_WORK_POOL", metavar="POOL",
              help="The work pool of --prefect. [default: hearflow]")
@click.option("--spool-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="HEARFLOW_API_SPOOL_DIR",
              help="Uploads, and the results Prefect workers hand back: with --prefect, a directory every "
                   "worker reads and writes at the same path. [default: DATA_DIR/spool]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Spooled uploads and format files. [default: ~/.hearflow/api]")
@click.option("--public-url", default=None, metavar="URL",
              help="How clients reach this server (behind a reverse proxy); used in signed URLs and webhooks.")
@click.option("--allow-outbound", multiple=True, metavar="CIDR|HOST",
              help="Let audio_url and webhook_url reach this private network or host (repeatable).")
@click.option("--offload-bytes", type=click.IntRange(min=0), default=None,
              help="Results larger than this are served from a signed result_url. [default: 256000]")
@click.option("--url-seconds", type=click.IntRange(min=1), default=None,
              help="Lifetime of signed URLs. [default: 3600]")
@click.option("--webhook-backoff", type=click.FloatRange(min=0), default=None,
              help="Seconds before the first webhook retry; doubles each time. [default: 1]")
@click.option("--webhook-attempts", type=click.IntRange(min=1), default=None, help="[default: 5]")
@click.option("--forwarded-allow-ips", default=None, metavar="IPS",
              help="Proxies whose X-Forwarded-For/-Proto are trusted. [default: 127.0.0.1]")
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=None,
              help="A server silent this long loses its jobs to the others. [default: 30]")
@config_option
@db_option
def api(host, port, workers, prefect, work_pool, spool_dir, data_dir, public_url, allow_outbound, offload_bytes, url_seconds, webhook_backoff,
        webhook_attempts, forwarded_allow_ips, lease_seconds, config, db):
    """Serve the HTTP API: call analytics and transcription jobs (FastAPI on uvicorn).

    Jobs and keys live in the store (--db); a worker process computes queued jobs, N at once,
    or with --prefect hands each to a Prefect work pool. Jobs use
    the analyzer of --config, and the offline one when it says auto: a vendor is never picked
    because its key happens to be in the environment. Signed URLs use $HEARFLOW_API_SIGNING_SECRET
    (default: a secret made once and kept in the store); webhooks are signed with
    $HEARFLOW_WEBHOOK_SECRET.

    \b
    Examples:
      hearflow keys create --scope hear:transcribe --scope transcribe:jobs
      hearflow api --port 8000 --workers 2
      curl -s localhost:8000/healthz
    """
    from hearflow.http.server import serve
    from hearflow.http.settings import ApiSettings, server_analyze_settings

    choices = {"host": host, "port": port, "workers": workers, "prefect": prefect, "work_pool": work_pool,
               "spool_dir": spool_dir, "data_dir": data_dir, "public_url": public_url,
               "allow_outbound": tuple(allow_outbound), "offload_bytes": offload_bytes, "url_seconds": url_seconds,
               "webhook_backoff": webhook_backoff, "webhook_attempts": webhook_attempts,
               "forwarded_allow_ips": forwarded_allow_ips, "lease_seconds": lease_seconds, "db_path": db,
               "signing_secret": os.environ.get(SIGNING_SECRET_ENV) or None,
               "analyze": server_analyze_settings(settings_from(config, {}, {}))}
    settings = ApiSettings(**{name: value for name, value in choices.items() if value is not None})
    where = f"on work pool {settings.work_pool}" if settings.prefect else "here"
    click.echo(f"hearflow api on {settings.base_url} ({settings.workers} job(s) at once {where}, "
               f"store {settings.db_path})", err=True)
    serve(settings)


def _database(db):
    from hearflow.http.database import Database
    from hearflow.store.store import default_db_path

    return Database(Path(db) if db else default_db_path())


@cli.group()
def keys():
    """API keys for `hearflow api`: only a hash of each secret is stored."""


@keys.command("create")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(["hear:transcribe", "transcribe:jobs"]),
              help="What the key may call (repeatable): hear:transcribe for call analytics, both for jobs.")
@click.option("--test", is_flag=True, help="A hf_test_ key: a daily cap of audio seconds, for building against.")
@click.option("--name", default=None, help="A label for `keys list`.")
@click.option("--daily-seconds", type=click.FloatRange(min=0), default=None,
              help="Audio seconds a day (UTC) before 429 daily_cap_reached. [default: 3600 for test keys, else none]")
@click.option("--credit-seconds", type=click.FloatRange(min=0), default=None,
              help="Prepaid audio seconds before 402 credit_exhausted. [default: unlimited]")
@db_option
def keys_create(scopes, test, name, daily_seconds, credit_seconds, db):
    """Make a key. Its secret is printed once, alone on the last line: store it now.

    \b
    Example:
      hearflow keys create --scope hear:transcribe --scope transcribe:jobs --name crm
    """
    from hearflow.http.keys import create_key

    key, secret = create_key(_database(db), scopes=scopes, test=test, name=name, daily_seconds=daily_seconds,
                             credit_seconds=credit_seconds)
    click.echo(f"created {key.id} ({'test' if key.test else 'live'}; scopes {' '.join(key.scopes)})"
               + (f"; name {key.name}" if key.name else ""), err=True)
    click.echo(secret)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def keys_list(as_json, db):
    """Every key: id, the start of its secret, scopes, caps, and whether it is revoked."""
    from dataclasses import asdict

    from hearflow.http.keys import list_keys

    rows = list_keys(_database(db))
    if as_json:
        click.echo(json.dumps([asdict(row) for row in rows], indent=2))
        return
    for row in rows:
        caps = ", ".join(part for part in (
            f"daily {row.daily_seconds:g} s" if row.daily_seconds is not None else "",
            f"credit {row.credit_seconds:g} s" if row.credit_seconds is not None else "") if part)
        state = f"revoked {row.revoked_at}" if row.revoked_at else "active"
        click.echo(f"{row.id}  {row.prefix}…  {' '.join(row.scopes)}  {'test' if row.test else 'live'}  "
                   f"{caps or 'no caps'}  {row.name or '-'}  {state}")


@keys.command("revoke")
@click.argument("key_id")
@db_option
def keys_revoke(key_id, db):
    """Revoke a key: every request with it is refused from now on (401)."""
    from hearflow.http.keys import revoke_key

    key = revoke_key(_database(db), key_id)
    click.echo(f"revoked {key.id} at {key.revoked_at}")


@cli.command()
@click.option("--key", "key_id", default=None, metavar="ID", help="Only this key.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only usage on or after this day (UTC).")
@click.option("--json", "as_json", is_flag=True)
@db_option
def usage(key_id, since, as_json, db):
    """Audio seconds billed per key, from the usage ledger: the sum of the X-Hearflow-Units
    headers the API sent (analyze responses and completed jobs)."""
    from datetime import date

    from hearflow.errors import ConfigError
    from hearflow.http.ledger import summary, units_header

    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            raise ConfigError(f"--since {since!r} is not a YYYY-MM-DD date", code="invalid_options") from None
    rows = summary(_database(db), key_id=key_id, since=since)
    if as_json:
        click.echo(json.dumps([{**row, "units": units_header(row["units_ms"])} for row in rows], indent=2))
        return
    total = 0
    for row in rows:
        total += row["units_ms"]
        click.echo(f"{row['key_id']}  {row['kind']:<8} {row['requests']:>6} request(s)  {units_header(row['units_ms'])} s")
    click.echo(f"total  {units_header(total)} s")
