"""The one translation of errors to HTTP: JSON `{"error", "error_description"}` bodies, and
the app's error handlers for refused requests, HTTP errors, database outages and bugs."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from pingsvc.db import rollback_quietly
from pingsvc.errors import (
    DATABASE_RETRY_AFTER,
    DATABASE_UNAVAILABLE,
    PingError,
    RateLimited,
    database_unavailable,
)

log = logging.getLogger(__name__)


def error_body(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def json_error(status: int, code: str, description: str) -> Response:
    response = jsonify(error_body(code, description))
    response.status_code = status
    return response


def register(app: Flask) -> None:
    """Answer every error as JSON; a 500 or 503 rolls the request's session back first."""

    @app.errorhandler(PingError)
    def _ping_error(exc: PingError) -> Response:
        response = json_error(exc.status, exc.code, exc.description)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = json_error(exc.code or 500, code, exc.description or "")
        for name, value in exc.get_headers():
            if name.lower() not in {"content-type", "content-length"}:
                response.headers[name] = value
        return response

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.DisconnectionError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _database_unavailable(exc: Exception) -> Response:
        if not database_unavailable(exc):
            return _unexpected(exc)
        # The database refused or lost the connection (a restart, a failover, a full pool):
        # nothing is wrong with the request, so say when to send it again.
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        rollback_quietly(g.pop("db_session", None))
        response = json_error(503, "database_unavailable", DATABASE_UNAVAILABLE)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
        return json_error(500, "server_error", "Something went wrong on our side; try again later.")
