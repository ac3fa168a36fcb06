"""A fetch's total time budget, enforced on its sockets: the one limit a slow server can't
stretch by dripping bytes just inside every socket timeout."""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import logging
import os
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger(__name__)


class Deadline:
    """A fetch's total time budget. When it runs out its sockets are shut down, so a server
    that drips headers or body a byte at a time can't hold a worker past the budget (socket
    timeouts only bound the wait for each byte, not the whole)."""

    _current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.done = False
        # The status line of the request under way came (set by _StatusNoted, cleared by the
        # client before each request): a cut after it fell on a server that was answering.
        self.answered = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    @property
    def over(self) -> bool:
        """Whether the budget has run out: shut by the watchdog, or due and not yet shut
        (the watchdog may be late on a busy machine; what a request reads then is the
        same)."""
        return self.expired or self.remaining() <= 0

    def _expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            self._sockets.append(sock)

    def __enter__(self) -> Deadline:
        Deadline._current.deadline = self
        self.at = time.monotonic() + self.seconds
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self.done = True
            self._sockets.clear()
        Deadline._current.deadline = None

    @classmethod
    def current(cls) -> Deadline | None:
        return getattr(cls._current, "deadline", None)


class _Watchdog:
    """One thread per process expires every deadline, in the order they fall due: a timer
    thread per fetch cost more CPU than the rest of a loopback fetch. A deadline that ended
    is left in the heap and dropped when it comes up."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Start empty: also in a forked child, which has none of its parent's threads (and
        may have been forked while one held the lock)."""
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pingsvc-fetch-deadlines", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._heap[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, deadline = heapq.heappop(self._heap)
                    if not deadline.done:
                        try:
                            deadline._expire()
                        except Exception:  # one odd socket must not end every later deadline
                            log.exception("could not end a fetch past its time limit")
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG._reset)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: the reader blocked in it wakes up
    # with an error, and no TLS state is changed under its feet from this thread.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    deadline = Deadline.current()
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _StatusNoted(http.client.HTTPResponse):
    """http.client's response, noting on the current deadline that its status line came."""

    def _read_status(self) -> tuple[str, int, str]:
        status: tuple[str, int, str] = super()._read_status()  # type: ignore[misc]
        deadline = Deadline.current()
        if deadline is not None:
            deadline.answered = True
        return status


class _Watched:
    """Hands its socket to the current deadline: when opened (so connecting is covered) and
    again per response (a kept-alive socket serves many fetches). A TLS handshake replaces
    the opened socket with its own, which only the next response hands over: the handshake
    itself is bounded by the connect timeout (at most 5 s, or what is left of the limit)."""

    sock: socket.socket
    response_class = _StatusNoted

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def getresponse(self) -> Any:
        _watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedConnection(_Watched, HTTPConnection):  # type: ignore[misc]
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):  # type: ignore[misc]
    pass


class WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection
