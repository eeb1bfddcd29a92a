"""Prometheus metrics and one structured log line per request: method, route, status, time,
key id and request id; never a secret, a query string (signed URLs carry signatures in it) or
transcript text."""

from __future__ import annotations

import json
import logging
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

access_log = logging.getLogger("hearflow.http.access")


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("hearflow_http_requests", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("hearflow_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.queue = Gauge("hearflow_jobs", "jobs in the store by status", ["status"], registry=self.registry)

    def render(self, db) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        counts = {row["status"]: row["n"] for row in db.query("SELECT status, count(*) AS n FROM api_jobs GROUP BY status")}
        for status in ("queued", "processing", "completed", "failed", "cancelled"):
            self.queue.labels(status=status).set(counts.get(status, 0))
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class AccessLog:
    """ASGI middleware: counts, times and logs every HTTP request, and gives it an X-Request-Id."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started, status = time.perf_counter(), 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(seconds)
            line = {"event": "request", "request_id": request_id, "method": scope["method"], "route": template,
                    "path": scope["path"], "status": status, "ms": round(seconds * 1000, 1),
                    "key": state.get("key_id"), "job": state.get("job_id")}
            access_log.info(json.dumps(line))
