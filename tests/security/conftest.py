"""Loopback traps for the SSRF tests: servers a correct fetch must never reach.

A trap listens on 127.0.0.x at a port that is NOT in PINGSVC_FETCH_ALLOW and counts every
connection it sees. It answers like a page that links to the target, so a broken guard would
show up as an approved mention as well as a counted connection.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.models import Mention
from pingsvc.pipeline import steps
from tests.conftest import TARGET

TRAP_PAGE = (
    f'<html><body class="h-entry"><a class="u-in-reply-to" href="{TARGET}">secret</a></body></html>'
).encode()


class Trap:
    """A listening socket on loopback that counts connections (accepted or still queued)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.host, self.port = self.sock.getsockname()[:2]
        self.accepted = 0
        self._lock = threading.Lock()
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def hostport(self) -> str:
        return f"{self.netloc_host}:{self.port}"

    @property
    def netloc_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.netloc_host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop:
            readable, _, _ = select.select([self.sock], [], [], 0.05)
            if not readable or self._stop:
                continue
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            try:
                conn.settimeout(1)
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(TRAP_PAGE), TRAP_PAGE)
                )
            except OSError:
                pass
            finally:
                conn.close()

    @property
    def connections(self) -> int:
        """Connections seen so far, counting one still waiting in the listen queue."""
        with self._lock:
            pending, _, _ = select.select([self.sock], [], [], 0)
            return self.accepted + (1 if pending else 0)

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    server = Trap()
    yield server
    server.close()


def send_and_verify(app: Flask, source: str, target: str = TARGET) -> dict[str, Any]:
    """Send a webmention and run its verification in this process, as the worker would;
    return the status page a sender sees (plus the stored error kind)."""
    client = app.test_client()
    answer = client.post("/webmention", data={"source": source, "target": target})
    assert answer.status_code == 201, answer.get_json()
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    shared = services(app)
    # A transient failure leaves it pending; the status page then shows the last error.
    with contextlib.suppress(steps.RetryLater):
        steps.process_mention(shared.db, mention_id, shared.pipeline)
    with shared.db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        kind = mention.error_kind
    return {**client.get(f"/webmention/status/{mention_id}").get_json(), "error_kind": kind}
