"""pingsvc.webserver's request-line limit, `pingsvc web`'s granian command and the database
pool it sizes to its threads, in process (the real server's answers: tests/test_serve.py)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pingsvc import cli, create_app, services
from pingsvc.cli import web_command
from pingsvc.db import POOL_SIZE, Database
from pingsvc.webserver import REQUEST_LINE_LIMIT, RequestLineLimit, request_line_length


def _environ(path: str = "/api/count.json", query: str = "") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }


def _call(app: RequestLineLimit, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: list[Any] = []
    body = b"".join(app(environ, lambda status, headers: seen.extend([status, dict(headers)])))
    return seen[0], seen[1], body


def _inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


def test_the_request_line_is_measured_as_sent() -> None:
    # "GET /api/count.json?target=x HTTP/1.1"
    assert request_line_length(_environ(query="target=x")) == len(
        "GET /api/count.json?target=x HTTP/1.1"
    )
    # PATH_INFO arrives decoded (latin-1 text of its UTF-8 bytes): "/é" was sent as "/%C3%A9".
    decoded = "/\u00e9".encode().decode("latin-1")
    assert request_line_length(_environ(path=decoded)) == len("GET /%C3%A9 HTTP/1.1")


def test_a_line_up_to_the_limit_reaches_the_app_and_a_longer_one_gets_json_414() -> None:
    app = RequestLineLimit(_inner)
    fixed = len("GET /api/count.json? HTTP/1.1")
    at_limit = _environ(query="t=" + "a" * (REQUEST_LINE_LIMIT - fixed - 2))
    assert request_line_length(at_limit) == REQUEST_LINE_LIMIT
    assert _call(app, at_limit) == ("200 OK", {"Content-Type": "text/plain"}, b"app")

    status, headers, body = _call(app, {**at_limit, "QUERY_STRING": at_limit["QUERY_STRING"] + "a"})
    assert status == "414 URI Too Long"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    answer = json.loads(body)
    assert answer["error"] == "request_line_too_long"
    assert f"{REQUEST_LINE_LIMIT} bytes" in answer["error_description"]


def test_pingsvc_web_runs_granian_with_the_production_settings() -> None:
    command = web_command("0.0.0.0", 8080, 3, 12)
    assert command[1:5] == ["-m", "granian", "--interface", "wsgi"]
    flags = dict(zip(command, command[1:], strict=False))
    assert flags["--host"] == "0.0.0.0" and flags["--port"] == "8080"
    assert flags["--workers"] == "3" and flags["--blocking-threads"] == "12"
    assert flags["--workers-kill-timeout"] == "20"  # requests in flight get 20 s on SIGTERM
    assert "--no-http1-keep-alive" in command and "--respawn-failed-workers" in command
    assert command[-2:] == ["--factory", "pingsvc.webserver:wsgi_app"]


def test_pingsvc_web_tells_its_server_processes_their_thread_count(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    started: list[tuple[list[str], dict[str, str]]] = []

    def execve(_path: str, command: list[str], env: dict[str, str]) -> None:
        started.append((command, env))
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execve", execve)
    result = CliRunner().invoke(cli.main, ["web", "--workers", "3", "--threads", "12"])
    assert result.exit_code == 0, result.output
    [(command, env)] = started
    assert dict(zip(command, command[1:], strict=False))["--blocking-threads"] == "12"
    assert env["PINGSVC_WEB_THREADS"] == "12"
    assert env["PINGSVC_VAR_DIR"] == settings["PINGSVC_VAR_DIR"]  # the rest as it was


def _backends_seen(db: Database, threads: int) -> set[int]:
    """The PostgreSQL backends that `threads` threads, each holding a connection at once,
    were served by."""
    barrier = threading.Barrier(threads)

    def one() -> int:
        with db.engine.connect() as conn:
            pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            barrier.wait(timeout=30)  # every thread holds its connection at the same time
            return pid

    with ThreadPoolExecutor(threads) as pool:
        return set(pool.map(lambda _: one(), range(threads)))


@pytest.mark.integration
@pytest.mark.parametrize("threads", [4, 16])
def test_a_web_process_keeps_a_connection_open_for_each_of_its_threads(
    postgres_url: str, tmp_path: Path, threads: int
) -> None:
    app = create_app(
        {"DATABASE_URL": postgres_url, "VAR_DIR": str(tmp_path), "WEB_THREADS": threads}
    )
    db = services(app).db
    try:
        assert db.engine.pool.size() == max(POOL_SIZE, threads)  # type: ignore[attr-defined]
        first = _backends_seen(db, threads)
        # Beyond the pool each request would open and close its own (a backend forked per
        # request): the same connections serve every request instead.
        assert _backends_seen(db, threads) == first and len(first) == threads
    finally:
        db.dispose()
