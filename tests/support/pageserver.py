"""A real HTTP server on 127.0.0.1 serving tests/pages/ and per-test routes (GET, and POST
for endpoints, whose requests it records)."""

from __future__ import annotations

import contextlib
import gzip
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAGES = Path(__file__).resolve().parent.parent / "pages"
TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".txt": "text/plain"}


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that says nothing when a client hangs up: fetch deadlines,
    size limits and the tests themselves drop connections on purpose, and socketserver would
    print each ConnectionResetError's traceback between pytest's dots. Other errors in a
    handler are still printed."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class Route:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Sent after `headers`, for a header sent more than once (two Link headers).
    repeated: tuple[tuple[str, str], ...] = ()


@dataclass
class Posted:
    """One POST the server received."""

    path: str
    headers: dict[str, str]
    body: bytes


def not_modified(served: dict[str, str], asked: Any) -> bool:
    """Whether a conditional GET matches the route's ETag or Last-Modified, as a server that
    answers 304 decides (If-None-Match wins over If-Modified-Since, RFC 9110 §13.2.2)."""
    etag, match = served.get("ETag"), asked.get("If-None-Match")
    if match is not None:
        return etag is not None and (
            match.strip() == "*" or etag in (m.strip() for m in match.split(","))
        )
    since, modified = asked.get("If-Modified-Since"), served.get("Last-Modified")
    return since is not None and modified is not None and since.strip() == modified


class PageServer:
    """Serves files from tests/pages (with their own charsets) plus routes a test adds."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        # The request headers of the last GET of each path (a feed poll's conditional GET).
        self.last_headers: dict[str, dict[str, str]] = {}
        self.posts: list[Posted] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.hits.append(self.path)
                server.last_headers[self.path] = dict(self.headers.items())
                self.answer(server.routes.get(self.path) or server.file_route(self.path))

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.posts.append(Posted(self.path, dict(self.headers.items()), body))
                self.answer(server.routes.get(self.path))

            def answer(self, route: Route | None) -> None:
                if route is None:
                    route = Route(404, b"<h1>Not found</h1>", {"Content-Type": "text/html"})
                if route.delay:
                    time.sleep(route.delay)
                if (
                    self.command == "GET"
                    and route.status == 200
                    and not_modified(route.headers, self.headers)
                ):
                    self.send_response(304)
                    for name in ("ETag", "Last-Modified"):
                        if name in route.headers:
                            self.send_header(name, route.headers[name])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                if callable(route.body):
                    headers.setdefault("Transfer-Encoding", "chunked")
                    self.send_headers(headers, route.repeated)
                    try:
                        for chunk in route.body():
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            self.wfile.flush()
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                headers.setdefault("Content-Length", str(len(route.body)))
                self.send_headers(headers, route.repeated)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def send_headers(
                self, headers: dict[str, str], repeated: tuple[tuple[str, str], ...]
            ) -> None:
                for name, value in [*headers.items(), *repeated]:
                    self.send_header(name, value)
                self.end_headers()

        self.httpd = QuietServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = host
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def file_route(self, path: str) -> Route | None:
        name = path.split("?", 1)[0].lstrip("/")
        file = (PAGES / name).resolve()
        if not name or PAGES not in file.parents or not file.is_file():
            return None
        content_type = TYPES.get(file.suffix, "application/octet-stream")
        if file.suffix == ".html":
            content_type = "text/html"  # let the page's own <meta charset> or BOM speak
        return Route(200, file.read_bytes(), {"Content-Type": content_type})

    def add(self, path: str, body: bytes | str = b"", status: int = 200, **kwargs: object) -> str:
        """Serve `body` at `path`; returns the full URL."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(status, data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def posted(self, path: str) -> list[Posted]:
        """The POSTs received at `path` (query string included)."""
        return [post for post in self.posts if post.path == path]

    def add_gzip(self, path: str, raw: bytes) -> str:
        return self.add(path, gzip.compress(raw), headers={"Content-Encoding": "gzip"})

    def start(self) -> PageServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
