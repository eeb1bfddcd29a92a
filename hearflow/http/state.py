"""What the routes share for the life of the server."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from hearflow.http.database import Database
from hearflow.http.observability import Metrics
from hearflow.http.outbound import OutboundPolicy
from hearflow.http.settings import ApiSettings
from hearflow.http.signed_urls import UrlSigner

CALL_PARTS_KEPT = 512  # stored calls kept as job results in memory, for listing and polling


@dataclass
class ApiState:
    settings: ApiSettings
    db: Database
    signer: UrlSigner
    policy: OutboundPolicy
    metrics: Metrics
    analyze_lock: threading.Lock = field(default_factory=threading.Lock)
    analyze_engines: object | None = None  # Engines for the synchronous analyze route
    _stores: threading.local = field(default_factory=threading.local)
    _parts: dict = field(default_factory=dict)
    _parts_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: ApiSettings) -> "ApiState":
        db = Database(settings.db_path)
        secret = settings.signing_secret or _stored_secret(db, "url_signing")
        return cls(settings=settings, db=db, signer=UrlSigner(secret, settings.url_seconds),
                   policy=OutboundPolicy(settings.allow_outbound), metrics=Metrics())

    def store(self):
        """This thread's Store (a sqlite connection is used by the thread that opened it)."""
        from hearflow.store.store import Store

        store = getattr(self._stores, "store", None)
        if store is None:
            store = self._stores.store = Store(self.settings.db_path)
        return store

    def call_part(self, call_id: str) -> tuple[dict, int] | None:
        """A stored call as job results show it, kept for the most recent calls: a completed
        call does not change, and listing jobs would otherwise rebuild each one every time."""
        from hearflow.http.views import call_part

        with self._parts_lock:
            if call_id in self._parts:
                self._parts[call_id] = self._parts.pop(call_id)  # most recently used last
                return self._parts[call_id]
        call = self.store().find(call_id)
        if call is None:
            return None
        part = call_part(call)
        with self._parts_lock:
            self._parts[call_id] = part
            while len(self._parts) > CALL_PARTS_KEPT:
                self._parts.pop(next(iter(self._parts)))
        return part

    def forget_call(self, call_id: str) -> None:
        with self._parts_lock:
            self._parts.pop(call_id, None)

    def load_analyze_engine(self) -> None:
        """The synchronous routes' engine, its model loaded before the server says ready."""
        from hearflow.http.workers import Engines

        with self.analyze_lock:
            self.analyze_engines = self.analyze_engines or Engines()
            self.analyze_engines.get(self.settings.analyze).prepare()

    def base_url(self, request) -> str:
        """The operator's public URL when set (behind a proxy), else what the client used."""
        return self.settings.public_url.rstrip("/") if self.settings.public_url else str(request.base_url).rstrip("/")


def _stored_secret(db: Database, name: str) -> str:
    """A signing secret made once and kept in the store, so signed URLs outlive a restart."""
    with db.write() as conn:
        conn.execute("INSERT OR IGNORE INTO api_secrets (name, value) VALUES (?, ?)", [name, secrets.token_hex(32)])
    return db.one("SELECT value FROM api_secrets WHERE name = ?", [name])["value"]
