"""The ``hearflow`` command line. Heavy libraries load only inside the command that needs them.

``common`` holds the group and the shared options; ``pipeline`` (commands that run calls) and
``store`` (commands on stored calls) add their commands to it; plugins add theirs last.
"""

from __future__ import annotations

import sys

from hearflow.cli import pipeline, store  # noqa: F401  (importing them adds their commands)
from hearflow.cli.common import EXIT_FAILED, cli, print_error
from hearflow.errors import HearflowError


def build_cli():
    """The click group with every plugin's commands added."""
    from hearflow.plugins.manager import get_plugin_manager as plugin_manager

    plugin_manager().hook.register_commands(cli=cli)
    return cli


def main():
    try:
        command = build_cli()
    except HearflowError as exc:
        print_error(exc)
        sys.exit(EXIT_FAILED)
    command(prog_name="hearflow")


__all__ = ["build_cli", "cli", "main"]
