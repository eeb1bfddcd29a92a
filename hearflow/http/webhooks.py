"""Job events to ``webhook_url``: signed, retried and logged by the webhook sink itself (taken
from the plugin registry), so a receiver verifies them exactly as it verifies call webhooks.

Delivery is at least once: an event that was being sent when the server died is sent again
after the restart (with a new X-Hearflow-Delivery id), so receivers de-duplicate on the event's
``id`` and ``status``.
"""

from __future__ import annotations

import json
import logging
import threading

from hearflow.http.database import Database
from hearflow.models import DeliveryAttempt, DeliveryReport, utc_now

log = logging.getLogger("hearflow.http.webhooks")


def event_body(job: dict, base_url: str) -> bytes:
    event = {"id": job["id"], "status": job["status"], "url": f"{base_url}/v1/transcription/jobs/{job['id']}",
             "created_at": job["created_at"], "completed_at": job["completed_at"]}
    if job["error_code"]:
        event["error"] = {"code": job["error_code"], "message": job["error_message"]}
    return json.dumps(event, separators=(",", ":")).encode()


class JobEvents:
    def __init__(self, settings, db: Database, policy, instance):
        self.settings, self.db, self.policy, self.instance = settings, db, policy, instance
        self.wake = threading.Event()
        self._registry = None

    def sink(self, url: str):
        from hearflow.plugins.manager import build_registry

        self._registry = self._registry or build_registry()
        options = {"urls": [url], "max_attempts": self.settings.webhook_attempts,
                   "backoff": self.settings.webhook_backoff}
        if self.settings.webhook_secret:
            options["secret"] = self.settings.webhook_secret
        return self._registry.get("sink", "webhook")(options)

    def run_forever(self, stopping: threading.Event) -> None:
        self._recover()
        while not stopping.is_set():
            try:
                job = self._claim()
                if job is None:
                    self.wake.wait(self.settings.poll_seconds * 4)
                    self.wake.clear()
                    continue
                self.deliver(job)
            except Exception:
                log.exception("webhook delivery loop failed")
                stopping.wait(1.0)

    def _recover(self) -> None:
        """Events that a dead server was sending go out again."""
        with self.db.write() as conn:
            conn.execute("UPDATE api_jobs SET webhook_state = 'pending' WHERE webhook_state = 'sending' AND "
                         "(instance_id IS NULL OR instance_id NOT IN (SELECT id FROM api_instances))")

    def _claim(self) -> dict | None:
        with self.db.write() as conn:
            job = conn.execute("SELECT * FROM api_jobs WHERE webhook_state = 'pending' ORDER BY seq LIMIT 1").fetchone()
            if job is not None:
                conn.execute("UPDATE api_jobs SET webhook_state = 'sending', instance_id = ? WHERE id = ?",
                             [self.instance.id, job["id"]])
        return job

    def deliver(self, job: dict) -> None:
        url = job["webhook_url"]
        try:
            self.policy.check(url, field="webhook_url")
            reports = self.sink(url).post(event_body(job, self.settings.base_url))
        except Exception as exc:  # a refused address or a sink that cannot be built: logged as the attempt
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            reports = [DeliveryReport(sink="webhook", target=url, delivered=False, attempts=(
                DeliveryAttempt(attempt=1, at=utc_now(), status=None, error=message),))]
        delivered = all(report.delivered for report in reports)
        with self.db.write() as conn:
            for report in reports:
                for attempt in report.attempts:
                    conn.execute(
                        "INSERT INTO api_job_deliveries (job_id, event, target, attempt, at, status, error, seconds, "
                        "delivered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [job["id"], job["status"], report.target, attempt.attempt, attempt.at, attempt.status,
                         attempt.error, attempt.seconds, int(report.delivered and attempt is report.attempts[-1])])
                    log.info(json.dumps({"event": "webhook", "job": job["id"], "attempt": attempt.attempt,
                                         "status": attempt.status, "error": attempt.error}))
            conn.execute("UPDATE api_jobs SET webhook_state = ? WHERE id = ?",
                         ["delivered" if delivered else "failed", job["id"]])
