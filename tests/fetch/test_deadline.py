"""A fetch's total time budget: one watchdog thread shuts the sockets of every deadline that
runs out, and leaves those of fetches that ended in time alone; a request it cuts off after
the status line came was answered too slowly, one cut before it was never answered."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import time

from pingsvc.errors import HostilePage, TransientFetchError
from pingsvc.fetch.client import TOO_SLOW, _cut_off
from pingsvc.fetch.deadline import Deadline, _StatusNoted


def _watchdogs() -> int:
    return sum(t.name == "pingsvc-fetch-deadlines" for t in threading.enumerate())


def _is_shut(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1) == b""
    except TimeoutError:  # nothing shut it: recv waited for a byte
        return False
    except OSError:
        return True


def test_a_deadline_that_runs_out_shuts_its_sockets() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs, Deadline(0.05) as deadline:
        deadline.watch(mine)
        assert _is_shut(mine)  # recv returns at once instead of waiting 2 s for a byte
        assert deadline.expired


def test_a_fetch_that_ended_in_time_keeps_its_socket() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs:
        with Deadline(0.05) as deadline:
            deadline.watch(mine)
        time.sleep(0.15)
        assert not deadline.expired
        theirs.sendall(b"x")
        assert mine.recv(1) == b"x"


def test_every_deadline_shares_one_watchdog_thread() -> None:
    for _ in range(50):
        with Deadline(30):
            pass
    assert _watchdogs() == 1


def test_an_earlier_deadline_added_later_still_runs_out_first() -> None:
    late_mine, late_theirs = socket.socketpair()
    mine, theirs = socket.socketpair()
    with late_mine, late_theirs, mine, theirs, Deadline(30) as late:
        late.watch(late_mine)
        with Deadline(0.05) as early:
            early.watch(mine)
            assert _is_shut(mine)
        assert not late.expired


def test_a_forked_child_gets_a_watchdog_of_its_own() -> None:
    with Deadline(30):
        pass  # the parent's watchdog runs
    pid = os.fork()
    if pid == 0:  # the child: its parent's thread is gone; deadlines must still run out
        code = 1
        try:
            mine, theirs = socket.socketpair()
            with Deadline(0.05) as deadline:
                deadline.watch(mine)
                code = 0 if _is_shut(mine) and deadline.expired else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_socket_that_cannot_be_shut_does_not_stop_later_deadlines() -> None:
    class Odd:
        """Not a socket: socket.socket.shutdown refuses it with a TypeError."""

    with Deadline(0.02) as odd:
        odd.watch(Odd())  # type: ignore[arg-type]
        time.sleep(0.1)
    mine, theirs = socket.socketpair()
    with mine, theirs, Deadline(0.05) as deadline:
        deadline.watch(mine)
        assert _is_shut(mine)


def _answered_after_reading(answer: bytes) -> bool:
    """Whether the deadline reads as answered once http.client has read `answer`'s start."""
    mine, theirs = socket.socketpair()
    with mine, theirs, Deadline(5) as deadline:
        theirs.sendall(answer)
        theirs.shutdown(socket.SHUT_WR)
        response = _StatusNoted(mine, method="GET")
        with contextlib.suppress(http.client.HTTPException):  # an answer cut short
            response.begin()
        response.close()
        return deadline.answered


def test_a_deadline_reads_as_answered_once_a_status_line_came() -> None:
    assert _answered_after_reading(b"HTTP/1.1 200 OK\r\nX-Slow: 1\r\n")
    assert not _answered_after_reading(b"")  # closed without a word
    assert not _answered_after_reading(b"HTTP/1.1 2")  # half a status line


def test_a_cut_after_the_status_line_is_too_slow_and_before_it_a_retry() -> None:
    with Deadline(5) as deadline:
        deadline.answered = True
        assert isinstance(_cut_off(deadline), HostilePage)
        assert str(_cut_off(deadline)) == TOO_SLOW
        deadline.answered = False
        silent = _cut_off(deadline)
        assert isinstance(silent, TransientFetchError) and "did not answer in time" in str(silent)
