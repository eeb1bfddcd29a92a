"""Serving the app with uvicorn, logging one JSON line per request and per job to stderr."""

from __future__ import annotations

import logging
import sys

from hearflow.http.settings import ApiSettings


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("hearflow.http")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def serve(settings: ApiSettings) -> None:
    import uvicorn

    from hearflow.http.app import create_app

    configure_logging()
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_level="warning",
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips, server_header=False)
