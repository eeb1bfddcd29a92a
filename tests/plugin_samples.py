"""Plugins as source text, for tests that load them from a plugins directory."""

CALL_LOG_PLUGIN = '''
import sqlite_utils

from hearflow import hookimpl

migrations = sqlite_utils.Migrations("call_log")


@migrations()
def m001_call_log(db):
    db["call_log"].create({"call_id": str, "source": str, "speakers": int}, pk="call_id")


@hookimpl
def register_migrations(register):
    register(migrations)


@hookimpl
def on_call_complete(result, db):
    db["call_log"].upsert({"call_id": result.id, "source": result.source,
                           "speakers": len(result.speaker_timing)}, pk="call_id")
'''

BROKEN_HOOK_PLUGIN = '''
from hearflow import hookimpl


@hookimpl
def on_call_complete(result, db):
    raise RuntimeError("this plugin always fails")
'''
