"""The ``hearflow`` command line. Heavy libraries load only inside the command that needs them.

``common`` holds the group and the shared options; ``pipeline`` (commands that run calls),
``store`` (commands on stored calls) and ``export`` (CSV, JSONL, Datasette metadata) add their
commands to it; plugins add theirs last.
"""

from __future__ import annotations

import sys

from hearflow.cli import api, export, pipeline, store  # noqa: F401  (importing them adds their commands)
from hearflow.cli.common import EXIT_FAILED, cli, print_error
from hearflow.errors import HearflowError


def build_cli():
    """The click group with every plugin's commands added."""
    from hearflow.plugins.manager import call_hook, plugin_manager

    call_hook(plugin_manager(), "register_commands", strict=True, cli=cli)  # the manager stages are built from too
    return cli


def main():
    _plugins_dir_first(sys.argv[1:])
    try:
        command = build_cli()
    except HearflowError as exc:
        print_error(exc)
        sys.exit(EXIT_FAILED)
    command(prog_name="hearflow")


def _plugins_dir_first(args: list[str]) -> None:
    """--plugins-dir must act before the group is built, so its plugins' commands exist."""
    import os

    from hearflow.plugins.manager import PLUGINS_DIR_ENV

    for index, arg in enumerate(args):
        if arg == "--plugins-dir" and index + 1 < len(args):
            os.environ[PLUGINS_DIR_ENV] = args[index + 1]
        elif arg.startswith("--plugins-dir="):
            os.environ[PLUGINS_DIR_ENV] = arg.split("=", 1)[1]


__all__ = ["build_cli", "cli", "main"]
