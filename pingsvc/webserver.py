"""The WSGI app `pingsvc web` serves with granian: pingsvc's app behind a request-line limit
whose 414 is JSON like every other pingsvc error (granian's own, for lines past 64 KiB, has no
body)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

# The longest request line (method, target and protocol) pingsvc answers. It fits the API's
# own limit of 100 target[] values of post URLs up to about 60 characters (80 bytes each,
# percent-encoded); longer lines get the JSON 414 below. (gunicorn's largest line short of
# "unlimited", which pingsvc used while gunicorn served it.)
REQUEST_LINE_LIMIT = 8190

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_TOO_LONG = json.dumps(
    {
        "error": "request_line_too_long",
        "error_description": (
            f"The request line (method, path and query string) is longer than "
            f"{REQUEST_LINE_LIMIT} bytes; ask for fewer targets at a time."
        ),
    }
).encode()


def request_line_length(environ: dict[str, Any]) -> int:
    """The request line's length in bytes as the client sent it: PATH_INFO comes decoded (as
    latin-1 text, per PEP 3333), so it is percent-encoded again; the query string is raw."""
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/:@!$&'()*+,;=~")
    query = environ.get("QUERY_STRING", "")
    target = environ.get("SCRIPT_NAME", "") + path + (f"?{query}" if query else "")
    method, protocol = environ.get("REQUEST_METHOD", ""), environ.get("SERVER_PROTOCOL", "")
    return len(method) + 1 + len(target) + 1 + len(protocol)


class RequestLineLimit:
    """Answer a request line longer than REQUEST_LINE_LIMIT with a JSON 414 before the app
    sees it."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if request_line_length(environ) <= REQUEST_LINE_LIMIT:
            return self.app(environ, start_response)
        start_response(
            "414 URI Too Long",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(_TOO_LONG))),
                ("Connection", "close"),
            ],
        )
        return [_TOO_LONG]


def wsgi_app() -> RequestLineLimit:
    """granian's factory (`--factory pingsvc.webserver:wsgi_app`): one app per worker."""
    from pingsvc import create_app

    return RequestLineLimit(create_app())
