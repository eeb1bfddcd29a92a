"""``hearflow webhook``: check a received signature, or (re)send a stored call."""

from __future__ import annotations

import click

from hearflow_webhook.signing import DEFAULT_TOLERANCE, SECRET_ENV


def add_webhook_commands(cli: click.Group) -> None:
    # Imported here: hearflow.cli is the module that calls this hook, so it is loaded by now.
    from hearflow import config_option, db_option

    @cli.group()
    def webhook():
        """Signed webhooks: verify a request you received, or send a stored call again."""

    @webhook.command()
    @click.option("--secret", envvar=SECRET_ENV, metavar="SECRET",
                  help=f"The shared signing secret. [default: ${SECRET_ENV}]")
    @click.option("--timestamp", required=True, metavar="UNIX", help="The X-Hearflow-Timestamp header.")
    @click.option("--signature", required=True, metavar="sha256=HEX", help="The X-Hearflow-Signature header.")
    @click.option("--tolerance", type=click.IntRange(min=0), default=DEFAULT_TOLERANCE, show_default=True,
                  metavar="SECONDS", help="Largest accepted clock difference; 0 skips the age check.")
    @click.argument("body", type=click.File("rb"), default="-")
    def verify(secret, timestamp, signature, tolerance, body):
        """Check the signature of a webhook request you received.

        BODY is a file holding the raw request bytes, or - for stdin. Prints "valid" when hearflow
        signed exactly these bytes with SECRET at TIMESTAMP; otherwise a coded error, exit 1.

        \b
        Example:
          hearflow webhook verify --timestamp 1767225600 --signature sha256=9f2c… request.json
        """
        from hearflow import ConfigError
        from hearflow_webhook.signing import verify as verify_signature

        if not secret:
            raise ConfigError(f"no signing secret: pass --secret or set ${SECRET_ENV}", code="missing_secret")
        verify_signature(secret, body.read(), timestamp, signature, tolerance=tolerance or None)
        click.echo("valid")

    @webhook.command()
    @click.argument("call_id")
    @click.option("--url", "urls", multiple=True, metavar="URL",
                  help="Where to POST (repeatable). [default: urls of [sinks.webhook] in --config]")
    @click.option("--secret", default=None, metavar="SECRET", help=f"Signing secret. [default: ${SECRET_ENV}]")
    @click.option("--max-attempts", type=click.IntRange(min=1), default=None,
                  help="Tries per URL before giving up. [default: 5]")
    @config_option
    @db_option
    def send(call_id, urls, secret, max_attempts, config, db):
        """POST a stored call to a webhook, signed and retried like after `hearflow analyze`; every
        attempt is logged in the deliveries table. CALL_ID may be a unique prefix.

        \b
        Examples:
          hearflow webhook send 3f2a --url https://example.com/hooks/calls
          hearflow webhook send 3f2a --config hearflow.toml
        """
        from hearflow import HearflowError
        from hearflow import AnalyzeSettings
        from hearflow import Store
        from hearflow_webhook.sink import WebhookSink

        options = dict(AnalyzeSettings.from_file(config).sinks.get("webhook", {})) if config else {}
        overrides = {"urls": list(urls), "secret": secret, "max_attempts": max_attempts}
        options.update({key: value for key, value in overrides.items() if value})
        sink = WebhookSink(options)  # refuses a missing URL or secret before the store is opened
        store = Store(db)
        try:
            result = store.get(call_id)
            reports = sink.deliver(result)
            store.save_deliveries(result.id, reports)
        finally:
            store.close()
        for report in reports:
            for attempt in report.attempts:
                outcome = attempt.status if attempt.error is None else attempt.error
                click.echo(f"{report.target}  attempt {attempt.attempt}  {outcome}  {attempt.seconds:.2f} s",
                           err=True)
        failed = [report.target for report in reports if not report.delivered]
        if failed:
            raise HearflowError(f"not delivered to {', '.join(failed)}", code="delivery_failed")
        click.echo(f"delivered {result.id} to {len(reports)} URL(s)")
