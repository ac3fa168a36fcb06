"""Structured logs: one JSON object per line, carrying the request id from the HTTP request
(X-Request-Id in, the same header out) into the Celery task that request queued."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

HEADER = "X-Request-Id"
# The Celery message header that carries the id to the worker.
TASK_HEADER = "pingsvc_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pingsvc_request_id", default=None
)
access_log = logging.getLogger("pingsvc.access")

# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the root logger (once per process; other handlers kept)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)


def clean_id(value: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one (never log junk)."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


def current() -> str | None:
    return request_id.get()


def init_app(app: Flask) -> None:
    """Give every request an id, answer it in X-Request-Id, and log one access line."""

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = clean_id(request.headers.get(HEADER))
        g.request_id_token = request_id.set(g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[HEADER] = rid
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 2),
                        "remote": request.remote_addr,
                    },
                )
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)


def task_headers() -> dict[str, str]:
    """Headers for a Celery message sent now: the current request id, when there is one."""
    rid = request_id.get()
    return {TASK_HEADER: rid} if rid else {}


def task_request_id(task_request: Any) -> str | None:
    """The request id a Celery task's message carried (Celery exposes custom headers as
    attributes of task.request; some versions keep them under .headers)."""
    rid = getattr(task_request, TASK_HEADER, None)
    if rid is None:
        headers = getattr(task_request, "headers", None) or {}
        rid = headers.get(TASK_HEADER)
    return str(rid) if rid else None
