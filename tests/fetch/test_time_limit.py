"""A request the time limit cuts off, read the same however the cut lands: a source that sent
its status line and then too little is too slow (rejected), one that never answered is tried
again, and an endpoint cut off while answering a POST is tried again. Each server here ends
the connection its own way (a reset, a close, silence) after the limit has run out, with the
watchdog's shutting of sockets switched off, so the test chooses the path, not the timing."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from pingsvc.errors import HostilePage, SourceGone, TransientFetchError
from pingsvc.fetch import deadline as deadline_module
from pingsvc.fetch.client import TOO_SLOW, fetch, make_session, post
from pingsvc.fetch.deadline import Deadline
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.notify import webhooks
from tests.support.pageserver import PageServer

LIMIT = 0.2  # the fetch's time limit; every server below ends its answer at END
END = 0.6


class Scripted:
    """A raw server on 127.0.0.1: sends `head`, then a byte of `drip` every 50 ms (or
    nothing) until END seconds after the request, then resets, closes or stays silent."""

    def __init__(self, head: bytes, drip: bytes = b"", end: str = "close") -> None:
        self.head, self.drip, self.end = head, drip, end
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.hostport = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                started = time.monotonic()
                conn.sendall(self.head)
                sent = 0
                while time.monotonic() - started < END:
                    if self.drip:
                        conn.sendall(self.drip[sent % len(self.drip)].to_bytes(1, "big"))
                        sent += 1
                    time.sleep(0.05)
                if self.end == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif self.end == "silent":
                    time.sleep(5)
            except OSError:
                pass

    def url(self) -> str:
        return f"http://{self.hostport}/"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def no_shutting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The watchdog still marks a deadline expired, but leaves its sockets open."""
    monkeypatch.setattr(deadline_module, "_shut", lambda _sock: None)


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    servers: list[Scripted] = []
    yield servers
    for server in servers:
        server.close()


def _serve(servers: list[Scripted], head: bytes, drip: bytes = b"", end: str = "close") -> str:
    server = Scripted(head, drip, end)
    servers.append(server)
    return server.hostport


def _policy(hostport: str) -> FetchPolicy:
    return FetchPolicy(timeout=LIMIT, max_redirects=3, allow=frozenset({hostport}))


@pytest.mark.usefixtures("no_shutting")
@pytest.mark.parametrize("end", ["reset", "close"])
@pytest.mark.parametrize("status", [b"200 OK", b"410 Gone", b"503 Service Unavailable"])
def test_headers_dripped_past_the_limit_are_too_slow_however_they_end(
    scripted: list[Scripted], end: str, status: bytes
) -> None:
    """A close reads as the end of the headers (the status came: a 410 once deleted the
    mention, a 503 was retried), a reset as a broken connection (once retried as silent)."""
    hostport = _serve(scripted, b"HTTP/1.1 " + status + b"\r\n", b"X-Slow: 1\r\n", end)
    with pytest.raises(HostilePage) as caught:
        fetch(f"http://{hostport}/", _policy(hostport))
    assert str(caught.value) == TOO_SLOW
    assert not isinstance(caught.value, SourceGone | TransientFetchError)


@pytest.mark.usefixtures("no_shutting")
def test_a_status_line_then_silence_is_too_slow(scripted: list[Scripted]) -> None:
    """The socket's own timeout ends it (at the limit too): the source had answered."""
    hostport = _serve(scripted, b"HTTP/1.1 200 OK\r\nX-Slow: 1\r\n", end="silent")
    with pytest.raises(HostilePage, match="longer than the time limit to send its page"):
        fetch(f"http://{hostport}/", _policy(hostport))


@pytest.mark.parametrize("watchdog_shuts", [True, False])
def test_silence_before_any_status_line_is_tried_again(
    scripted: list[Scripted], monkeypatch: pytest.MonkeyPatch, watchdog_shuts: bool
) -> None:
    if not watchdog_shuts:
        monkeypatch.setattr(deadline_module, "_shut", lambda _sock: None)
    hostport = _serve(scripted, b"", end="silent")
    with pytest.raises(TransientFetchError, match="the source did not answer in time"):
        fetch(f"http://{hostport}/", _policy(hostport))


@pytest.mark.usefixtures("no_shutting")
@pytest.mark.parametrize("end", ["reset", "close", "silent"])
def test_an_endpoint_cut_off_while_answering_is_tried_again(
    scripted: list[Scripted], end: str
) -> None:
    """Its 202 came, its headers did not: no answer to record (a close once read as
    "accepted"), and a slow endpoint is tried again."""
    hostport = _serve(scripted, b"HTTP/1.1 202 Accepted\r\n", b"X-Slow: 1\r\n", end)
    with pytest.raises(TransientFetchError, match="the endpoint did not answer in time"):
        post(f"http://{hostport}/", {"source": "s", "target": "t"}, _policy(hostport))


def test_a_request_notes_on_its_deadline_that_the_status_line_came(pages: PageServer) -> None:
    """What the classification rests on: urllib3 reads the answer through _StatusNoted."""
    url = pages.add("/limit/ok", "<p>ok</p>")
    policy = FetchPolicy(timeout=3, allow=frozenset({pages.hostport}))
    session = make_session(policy)
    try:
        with Deadline(3) as deadline:
            response = session.request("GET", url, deadline)
            assert deadline.answered and response.status == 200
            response.close()
            response.release_conn()
    finally:
        session.close()


@pytest.mark.usefixtures("no_shutting")
@pytest.mark.parametrize("end", ["reset", "close", "silent"])
def test_a_webhook_cut_off_while_answering_is_late_and_tried_again(
    scripted: list[Scripted], end: str
) -> None:
    hostport = _serve(scripted, b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n", end)
    attempt = webhooks.post(f"http://{hostport}/", b"{}", {}, _policy(hostport))
    assert (attempt.ok, attempt.error, attempt.retry) == (False, webhooks._LATE, True)


def test_a_webhook_whose_socket_times_out_after_its_status_line_is_late(
    scripted: list[Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket's timeout can come before the watchdog marks the deadline expired."""
    monkeypatch.setattr(Deadline, "_expire", lambda _self: None)
    hostport = _serve(scripted, b"HTTP/1.1 200 OK\r\nX-Slow: 1\r\n", end="silent")
    attempt = webhooks.post(f"http://{hostport}/", b"{}", {}, _policy(hostport))
    assert (attempt.ok, attempt.error, attempt.retry) == (False, webhooks._LATE, True)
