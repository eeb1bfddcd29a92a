"""API keys: a random secret shown once, only its SHA-256 kept. Scopes say what a key may call.

The secrets are 32 random bytes, so a plain hash is enough: there is nothing to brute-force the
way there is with a password.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from hearflow.errors import ConfigError, NotFoundError
from hearflow.http.database import Database
from hearflow.models import utc_now

SCOPES = ("hear:transcribe", "transcribe:jobs")
LIVE_PREFIX, TEST_PREFIX = "hf_live_", "hf_test_"
SHOWN_PREFIX_CHARS = 12  # how much of a secret `keys list` shows, to tell keys apart


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str | None
    prefix: str
    scopes: tuple[str, ...]
    test: bool
    daily_seconds: float | None
    credit_seconds: float | None
    created_at: str
    revoked_at: str | None

    @classmethod
    def from_row(cls, row: dict) -> "ApiKey":
        return cls(id=row["id"], name=row["name"], prefix=row["prefix"], scopes=tuple(json.loads(row["scopes"])),
                   test=bool(row["test"]), daily_seconds=row["daily_seconds"],
                   credit_seconds=row["credit_seconds"], created_at=row["created_at"],
                   revoked_at=row["revoked_at"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(db: Database, *, scopes, test: bool = False, name: str | None = None,
               daily_seconds: float | None = None, credit_seconds: float | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is not stored and cannot be shown again."""
    scopes = tuple(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ConfigError(f"unknown scope(s): {', '.join(unknown)}" if unknown else "a key needs a scope",
                          code="invalid_options", hint=f"scopes: {', '.join(SCOPES)}")
    secret = (TEST_PREFIX if test else LIVE_PREFIX) + secrets.token_urlsafe(32)
    row = {"id": "key_" + secrets.token_hex(6), "name": name, "prefix": secret[:SHOWN_PREFIX_CHARS],
           "secret_hash": hash_secret(secret), "scopes": json.dumps(list(scopes)), "test": int(test),
           "daily_seconds": daily_seconds, "credit_seconds": credit_seconds, "created_at": utc_now(),
           "revoked_at": None}
    with db.write() as conn:
        conn.execute(f"INSERT INTO api_keys ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
    return ApiKey.from_row(row), secret


def find_key(db: Database, secret: str) -> ApiKey | None:
    row = db.one("SELECT * FROM api_keys WHERE secret_hash = ?", [hash_secret(secret)])
    return ApiKey.from_row(row) if row else None


def list_keys(db: Database) -> list[ApiKey]:
    return [ApiKey.from_row(row) for row in db.query("SELECT * FROM api_keys ORDER BY created_at, id")]


def revoke_key(db: Database, key_id: str) -> ApiKey:
    with db.write() as conn:
        conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", [utc_now(), key_id])
    row = db.one("SELECT * FROM api_keys WHERE id = ?", [key_id])
    if row is None:
        raise NotFoundError(f"no key {key_id}", hint="list keys with: hearflow keys list")
    return ApiKey.from_row(row)
