"""The request log and request ids.

Every response carries an ``X-Request-Id`` (the caller's, if it sent a usable one, else a new
one), and unless ``quiet`` every request is one log line: method, path, status, latency, the API
key id the auth layer identified (``flask.g.api_key_id``) and the request id. ``text`` lines are
for people, ``json`` lines (one object each) for machines.

The query string is never logged: it may carry an API key (``?api_key=...``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import IO, Any

from flask import Flask, Response, g, request

from mockflow.config import Settings

REQUEST_ID_HEADER = "X-Request-Id"
LOGGER = "mockflow"
REQUEST_LOGGER = "mockflow.requests"

# What we echo back: short, printable, no spaces, so it cannot forge or break a log line.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_logger = logging.getLogger(REQUEST_LOGGER)


def new_request_id() -> str:
    return uuid.uuid4().hex


ENVIRON_KEY = "mockflow.request_id"


def request_id_for(environ: dict[str, Any]) -> str:
    """The request's one id: the caller's if usable, else a new one; fixed on first ask.

    Both the journal (WSGI middleware, outermost) and the request log (Flask hooks) ask, so they
    agree, and the response carries it once.
    """
    request_id = environ.get(ENVIRON_KEY)
    if request_id is None:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _USABLE_ID.fullmatch(incoming) else new_request_id()
        environ[ENVIRON_KEY] = request_id
    return request_id


def install(app: Flask) -> None:
    """Register the request-id and request-log hooks on ``app``.

    Install this first in ``create_app``: before_request hooks run in the order they were
    registered (so the id exists before auth may refuse) and after_request hooks in reverse (so
    the line sees the final status and ``g.api_key_id``).
    """

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_for(request.environ)

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        if not app.extensions["mockflow"].settings.quiet:
            started = g.get("request_started")
            latency_ms = (time.perf_counter() - started) * 1000 if started else 0.0
            _logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request": {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "latency_ms": round(latency_ms, 2),
                        "key_id": g.get("api_key_id"),
                        "request_id": request_id,
                        "remote_addr": request.remote_addr,
                    }
                },
            )
        return response


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-11-26T08:00:00.123Z POST /mlflow/api/2.0/mlflow/runs/create 200 3.1ms key=- id=…``"""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] | None = getattr(record, "request", None)
        if fields is not None:
            line = (
                f"{_timestamp(record)} {fields['method']} {fields['path']} {fields['status']} "
                f"{fields['latency_ms']:.1f}ms key={fields['key_id'] or '-'} "
                f"id={fields['request_id']} from={fields['remote_addr']}"
            )
        else:
            line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts``, ``level``, ``logger``, ``message`` and, for a request,
    ``method``, ``path``, ``status``, ``latency_ms``, ``key_id``, ``request_id``, ``remote_addr``;
    other records may add their own fields through ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "request", None) or {})
        doc.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Send mockflow's (and waitress's) log records to ``stream`` (stdout by default) in the
    settings' format. Process-wide, so ``mockflow serve`` calls it once; in-process servers
    (tests) leave logging alone unless asked."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    # waitress warns "Task queue depth is N" whenever all threads are busy: load, not trouble.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    for name, level in ((LOGGER, logging.INFO), ("waitress", logging.WARNING)):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    return handler
