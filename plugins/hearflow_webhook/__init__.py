"""Signed webhook delivery of finished calls, and the ``hearflow webhook`` commands."""

from hearflow import hookimpl
from hearflow_webhook.sink import WebhookSink


@hookimpl
def register_sinks(register):
    register(WebhookSink)


@hookimpl
def register_commands(cli):
    from hearflow_webhook.commands import add_webhook_commands

    add_webhook_commands(cli)
