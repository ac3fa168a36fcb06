"""pingsvc.serve's supervisor with small real child processes: restarts with backoff, gives
up on a child that can't start, stops the rest together (the whole `pingsvc serve` is in
tests/test_serve.py)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import pytest

from pingsvc.serve import ChildSpec, RestartPolicy, Supervisor
from tests.support.services import wait_for

FAST = RestartPolicy(first_delay=0.05, max_delay=0.2, stable_after=60, max_failures=3)


@pytest.mark.parametrize(
    ("failures", "uptime", "expected"),
    [
        (0, 0.5, (1, 1.0)),  # the first quick exit: restart after a second
        (1, 0.5, (2, 2.0)),  # doubling each failure in a row
        (3, 0.5, (4, 8.0)),
        (4, 0.5, (5, 16.0)),
        (5, 0.5, (6, None)),  # the sixth in a row: give up
        (5, 30.0, (1, 1.0)),  # it ran long enough to count as started: the count starts again
        (2, 3600.0, (1, 1.0)),
    ],
)
def test_restart_delays_double_and_a_child_that_ran_a_while_starts_the_count_again(
    failures: int, uptime: float, expected: tuple[int, float | None]
) -> None:
    assert RestartPolicy().after_exit(failures, uptime) == expected


def test_the_delay_is_capped() -> None:
    policy = RestartPolicy(first_delay=1, max_delay=30, max_failures=100)
    assert policy.after_exit(10, 0) == (11, 30)


def test_a_child_that_keeps_failing_stops_everything_with_a_clear_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fails = ChildSpec("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    healthy = ChildSpec("healthy", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([fails, healthy], FAST)
    with caplog.at_level(logging.WARNING, "pingsvc.serve"):
        assert supervisor.run() == 1
    restarts = [r.getMessage() for r in caplog.records if "restarting it in" in r.getMessage()]
    assert len(restarts) == 3 and all("flaky" in m and "status 3" in m for m in restarts)
    assert "flaky" in caplog.text and "4 times in a row" in caplog.text
    assert all(child.proc is None or child.proc.poll() is not None for child in supervisor.children)


def test_a_killed_child_is_started_again_and_sigterm_stops_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor = Supervisor([ChildSpec("one", sleeper), ChildSpec("two", sleeper)], FAST)
    seen: list[int] = []

    def drive() -> None:  # kill "one" once, wait for its replacement, then stop everything
        try:
            first = supervisor.children[0].proc
            assert first is not None
            seen.append(first.pid)
            os.kill(first.pid, signal.SIGKILL)
            if wait_for(lambda: supervisor.children[0].proc not in (None, first), 20, 0.05):
                seen.append(supervisor.children[0].proc.pid)  # type: ignore[union-attr]
        finally:  # whatever happened, the supervisor under test stops
            os.kill(os.getpid(), signal.SIGTERM)

    driver: list[threading.Thread] = []

    def started() -> None:
        driver.append(threading.Thread(target=drive, daemon=True))
        driver[0].start()

    with caplog.at_level(logging.WARNING, "pingsvc.serve"):
        assert supervisor.run(started) == 0
    driver[0].join(10)
    assert len(seen) == 2 and seen[0] != seen[1]
    assert f"one (pid {seen[0]}) was killed by SIGKILL" in caplog.text
    assert all(child.proc is not None for child in supervisor.children)
    assert all(child.proc.poll() is not None for child in supervisor.children if child.proc)
