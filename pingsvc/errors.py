"""Domain exceptions, and their one translation to JSON errors (HTTP) and XML-RPC faults."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Pingback 1.0 fault codes.
FAULT_GENERIC = 0
FAULT_SOURCE_NOT_FOUND = 0x10
FAULT_NO_LINK = 0x11
FAULT_TARGET_NOT_FOUND = 0x20
FAULT_TARGET_INVALID = 0x21
FAULT_ALREADY_REGISTERED = 0x30
FAULT_ACCESS_DENIED = 0x31
FAULT_UPSTREAM = 0x32


class PingError(Exception):
    """A request pingsvc refuses: carries its HTTP status, error code and pingback fault."""

    status = 400
    code = "invalid_request"
    fault = FAULT_GENERIC

    def __init__(self, description: str, *, code: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        if code:
            self.code = code


class InvalidSource(PingError):
    code = "invalid_source"
    fault = FAULT_SOURCE_NOT_FOUND


class InvalidTarget(PingError):
    code = "invalid_target"
    fault = FAULT_TARGET_INVALID


class TargetNotSupported(PingError):
    code = "target_not_supported"
    fault = FAULT_TARGET_INVALID


class Blocked(PingError):
    code = "blocked"
    fault = FAULT_ACCESS_DENIED


class NotFound(PingError):
    status = 404
    code = "not_found"


class FetchError(Exception):
    """The source could not be fetched, for good: the mention ends rejected with this reason."""

    fault = FAULT_SOURCE_NOT_FOUND
    kind = "unreadable"

    def __init__(
        self, reason: str, *, status_code: int | None = None, kind: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        if kind:
            self.kind = kind


class SourceGone(FetchError):
    """The source answered 410 Gone (or says so in a meta tag): the mention is deleted."""

    kind = "gone"


class RefusedAddress(FetchError):
    """The source resolves to an address pingsvc must not connect to."""

    kind = "refused"


class HostilePage(FetchError):
    """Too large, too slow, too many redirects: not worth a retry."""

    fault = FAULT_UPSTREAM
    kind = "hostile"


class TransientFetchError(FetchError):
    """Timeouts, refused connections and 5xx: worth another try later."""

    fault = FAULT_UPSTREAM
    kind = "upstream"


def error_body(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def json_error(status: int, code: str, description: str) -> Response:
    response = jsonify(error_body(code, description))
    response.status_code = status
    return response


def register(app: Flask, rollback: Any) -> None:
    """Answer every error as JSON; `rollback` undoes the request's unfinished transaction."""

    @app.errorhandler(PingError)
    def _ping_error(exc: PingError) -> Response:
        return json_error(exc.status, exc.code, exc.description)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = json_error(exc.code or 500, code, exc.description or "")
        for name, value in exc.get_headers():
            if name.lower() not in {"content-type", "content-length"}:
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        rollback()
        return json_error(500, "server_error", "Something went wrong on our side; try again later.")
