"""The gunicorn worker `pingsvc web` runs: gthread, answering the requests gunicorn refuses
before the app sees them (a request line too long) in the API's JSON error shape."""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

# gunicorn's largest request line short of "unlimited" (its default is 4094; unlimited would
# let one request line fill the worker's memory). It fits the API's own limit of 100
# target[] values of post URLs up to about 60 characters (80 bytes each, percent-encoded);
# longer lines get the JSON 414 below rather than gunicorn's HTML page.
REQUEST_LINE_LIMIT = 8190


class JsonErrorWorker(ThreadWorker):
    """gunicorn's gthread worker, whose 414 is JSON like every other pingsvc error."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = json.dumps(
            {
                "error": "request_line_too_long",
                "error_description": (
                    f"The request line (method, path and query string) is longer than "
                    f"{REQUEST_LINE_LIMIT} bytes; ask for fewer targets at a time."
                ),
            }
        ).encode()
        head = (
            "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            util.write_nonblock(client, head + body)
        except OSError:
            self.log.debug("Failed to send error message.")
