"""What the operator chooses for one API server. Flags of ``hearflow api`` fill it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hearflow.settings import AnalyzeSettings
from hearflow.store.store import default_db_path, home

DEFAULT_OFFLOAD_BYTES = 256_000  # results larger than this are served from a signed result_url
DEFAULT_URL_SECONDS = 3600  # lifetime of signed format and result URLs
DEFAULT_TEST_DAILY_SECONDS = 3600.0  # a test key's daily cap of audio seconds unless given


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # calls computed at once by the worker process (with prefect: jobs handed to the work pool at
    # once); 0 only queues (another server works)
    workers: int = Field(default=1, ge=0)
    db_path: Path = Field(default_factory=default_db_path)
    data_dir: Path = Field(default_factory=lambda: home() / "api")  # spooled uploads, format files
    spool_dir: Path | None = None  # uploads and Prefect workers' hand-offs; default data_dir/spool
    prefect: bool = False  # each job a run of the transcribe-job deployment on work_pool
    work_pool: str = "hearflow"
    analyze: AnalyzeSettings = Field(default_factory=lambda: AnalyzeSettings(analyzer="offline"))
    public_url: str | None = None  # how clients reach the server (behind a proxy); default http://host:port
    signing_secret: str | None = None  # for signed URLs; default: one generated once and kept in the store
    webhook_secret: str | None = None  # default: $HEARFLOW_WEBHOOK_SECRET, as for the webhook sink
    allow_outbound: tuple[str, ...] = ()  # networks (CIDR) or host names outbound fetches may reach
    offload_bytes: int = Field(default=DEFAULT_OFFLOAD_BYTES, ge=0)
    url_seconds: int = Field(default=DEFAULT_URL_SECONDS, gt=0)
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff: float = Field(default=1.0, ge=0)
    poll_seconds: float = Field(default=0.5, gt=0)  # how often idle workers look for queued jobs
    lease_seconds: float = Field(default=30.0, gt=0)  # a server silent this long lost its jobs
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-* headers are trusted

    @field_validator("allow_outbound")
    @classmethod
    def _networks_or_hosts(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            if "/" in entry:
                ipaddress.ip_network(entry, strict=False)  # a ValueError names the bad entry
        return entries

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def spool_root(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    @property
    def max_bytes(self) -> int:
        return self.analyze.max_bytes


def server_analyze_settings(settings: AnalyzeSettings) -> AnalyzeSettings:
    """Jobs run the analyzer the operator configured; "auto" would pick a vendor because a key
    happens to be in the server's environment, so the server takes the offline one instead."""
    if settings.analyzer == "auto":
        return settings.model_copy(update={"analyzer": "offline"})
    return settings
