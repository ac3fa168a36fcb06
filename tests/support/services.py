"""Real service processes for integration tests: a Celery worker, or the whole `pingsvc serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(settings: dict[str, str]) -> dict[str, str]:
    """The current environment with every PINGSVC_* setting replaced by `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGSVC_")}
    env.update(settings)
    env["PYTHONPATH"] = str(ROOT)
    return env


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Process:
    """A child process whose output goes to a log file, stopped with SIGTERM."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        self.handle.flush()
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.handle.close()
        return int(self.proc.returncode)

    def kill_group(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_worker(settings: dict[str, str], log: Path, *extra: str) -> Process:
    """A real `celery -A worker.celery_app worker` on the given settings."""
    args = [
        sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
        "--loglevel", "INFO", "--pool", "threads", "--concurrency", "4",
        "--without-gossip", "--without-mingle", *extra,
    ]  # fmt: skip
    worker = Process(args, env_for(settings), log)
    if not wait_for(lambda: "ready." in worker.output() or worker.proc.poll() is not None, 60):
        raise RuntimeError(f"worker did not start:\n{worker.output()}")
    if worker.proc.poll() is not None:
        raise RuntimeError(f"worker exited:\n{worker.output()}")
    return worker


def start_serve(settings: dict[str, str], log: Path) -> tuple[Process, str]:
    """The whole service, `pingsvc serve`, on a free port; returns it and its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for({**settings, "PINGSVC_BASE_URL": base})
    args = [sys.executable, "-m", "pingsvc.cli", "serve", "--port", str(port)]
    proc = Process(args, env, log)

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=1).ok and "listening on" in proc.output()
        except requests.RequestException:
            return proc.proc.poll() is not None

    wait_for(up, 60, 0.2)
    if proc.proc.poll() is not None:
        raise RuntimeError(f"pingsvc serve exited:\n{proc.output()}")
    return proc, base


def start_web(settings: dict[str, str], log: Path) -> tuple[Process, str]:
    """Only the web server, `pingsvc web` (granian), on a free port; returns it and its URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for({**settings, "PINGSVC_BASE_URL": base, "PINGSVC_WEB_WORKERS": "2"})
    args = [sys.executable, "-m", "pingsvc.cli", "web", "--port", str(port)]
    proc = Process(args, env, log)

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=1).ok
        except requests.RequestException:
            return proc.proc.poll() is not None

    wait_for(up, 60, 0.2)
    if proc.proc.poll() is not None:
        raise RuntimeError(f"pingsvc web exited:\n{proc.output()}")
    return proc, base
