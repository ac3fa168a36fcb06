"""`pingsvc serve`'s supervisor: runs the web server and the workers, restarts one that dies,
and stops them all together on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChildSpec:
    """One process the supervisor keeps running: a name for the logs, its command, its
    environment (None: the supervisor's own, as it is when the child starts)."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """When a child that died is started again, and when the supervisor gives up.

    A child that exits within `stable_after` seconds of its start has failed to start; after
    `max_failures` such exits in a row the supervisor stops everything rather than loop for
    ever (a port taken, a broken setting). A child that ran longer just died (killed, out of
    memory) and starts again after `first_delay`. Each failure in a row doubles the delay,
    up to `max_delay`, so a child that can't start doesn't spin a core."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 30.0
    max_failures: int = 5
    # How long children get to stop before they are killed: above the web server's
    # graceful timeout (20 s, pingsvc.cli.web_command), so requests in flight are answered.
    stop_timeout: float = 25.0

    def after_exit(self, failures: int, uptime: float) -> tuple[int, float | None]:
        """The failures in a row counting this exit, and the delay before the restart
        (None: give up)."""
        failures = 1 if uptime >= self.stable_after else failures + 1
        if failures > self.max_failures:
            return failures, None
        return failures, min(self.max_delay, self.first_delay * 2 ** (failures - 1))


def _stop_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when `pingsvc serve` dies, even by
    SIGKILL, so no web server or worker is left running on its own (a no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(pgid: int, sig: int) -> None:
    """Signal every process left in a child's process group (its id is the child's pid)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # none left
        os.killpg(pgid, sig)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class _Child:
    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.failures = 0
        self.restart_at = 0.0

    def start(self) -> None:
        # A process group of its own: the terminal's Ctrl-C goes to the foreground group,
        # which is the supervisor's alone, so each child is signalled once, by the
        # supervisor. (A gunicorn worker that got SIGINT from the terminal and SIGQUIT from
        # its master at once deadlocked in its executor's shutdown until it was killed; granian's
        # worker processes likewise take their stop from its main process alone.)
        self.proc = subprocess.Popen(
            self.spec.command,
            env=self.spec.env,
            stdin=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=_stop_with_parent,
        )
        self.started = time.monotonic()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    """Start every child, restart one that dies (with backoff, logged), stop them all on
    SIGINT or SIGTERM, or when a child keeps failing to start."""

    def __init__(self, specs: Sequence[ChildSpec], policy: RestartPolicy | None = None) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.policy = policy or RestartPolicy()
        self.stop_signal: int | None = None
        self.gave_up: str | None = None

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.children if c.proc is not None and c.running()]

    def run(self, started: Callable[[], None] | None = None) -> int:
        """Supervise until told to stop; 0 after SIGINT/SIGTERM, 1 after giving up.
        `started` is called once every child has been started."""

        def stop(signum: int, _frame: Any) -> None:
            self.stop_signal = signum

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                child.start()
            if started is not None:
                started()
            while self.stop_signal is None and self.gave_up is None:
                self._check(time.monotonic())
                time.sleep(0.2)
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self.gave_up is not None:
            log.error(self.gave_up)
            return 1
        return 0

    def _check(self, now: float) -> None:
        for child in self.children:
            if child.proc is None:
                if now >= child.restart_at:
                    log.warning("starting %s again", child.spec.name)
                    child.start()
                continue
            returncode = child.proc.poll()
            if returncode is None:
                continue
            uptime = now - child.started
            child.failures, delay = self.policy.after_exit(child.failures, uptime)
            how = describe_exit(returncode)
            pid = child.proc.pid
            child.proc = None
            # What it leaves behind stops too: a worker's embedded scheduler (a second one
            # would run beside its replacement's), the web server's worker processes holding the
            # port.
            _signal_group(pid, signal.SIGTERM)
            if delay is None:
                self.gave_up = (
                    f"{child.spec.name} (pid {pid}) {how} {child.failures} times in a row, "
                    f"each within {self.policy.stable_after:g} s of starting; stopping "
                    "pingsvc (its output above says why)"
                )
                return
            log.warning(
                "%s (pid %d) %s after %.1f s; restarting it in %g s",
                child.spec.name,
                pid,
                how,
                uptime,
                delay,
                extra={"child": child.spec.name, "returncode": returncode, "restart_in": delay},
            )
            child.restart_at = now + delay

    def _stop_all(self) -> None:
        """SIGTERM to each child (the web server finishes its requests, Celery its tasks), then
        SIGKILL to any still running after the policy's stop_timeout."""
        running = [c for c in self.children if c.running()]
        for child in running:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.policy.stop_timeout
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s (pid %d) did not stop within %g s; killing it",
                    child.spec.name,
                    child.proc.pid,
                    self.policy.stop_timeout,
                )
                _signal_group(child.proc.pid, signal.SIGKILL)
                child.proc.wait()
