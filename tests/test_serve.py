"""`pingsvc serve`: the whole service in one command, stopped together, restarted on its data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from tests.conftest import TARGET
from tests.support.pageserver import PageServer
from tests.support.services import Process, env_for, start_serve, wait_for

pytestmark = pytest.mark.integration

LIKE = """<div class="h-entry"><a class="p-author h-card" href="/">Carol</a> liked
<a class="u-like-of" href="https://blog.example/post/1">this post</a></div>"""


def _children(base: str) -> list[dict]:
    answer = requests.get(f"{base}/api/mentions.jf2", params={"target": TARGET}, timeout=5)
    return answer.json()["children"]


def _pids_of_children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _child_by_kind(serve_pid: int) -> dict[str, int]:
    """serve's children by kind: "web" (granian's main process), "worker0" (with the
    scheduler), "worker1"..."""
    kinds = {}
    for pid in _pids_of_children(serve_pid):
        line = _cmdline(pid)
        if "granian" in line:
            kinds["web"] = pid
        elif "celery" in line:
            kinds[line.split("--hostname ", 1)[1].split("@", 1)[0]] = pid
    return kinds


class Serving(NamedTuple):
    serve: Process
    base: str
    settings: dict[str, str]  # what it runs with, to start it again on the same data


@pytest.fixture
def serving(settings: dict[str, str], tmp_path: Path) -> Iterator[Serving]:
    """blog.example registered, then `pingsvc serve` with two workers; stopped with SIGTERM
    after the test if the test left it running."""
    site_add = subprocess.run(
        [sys.executable, "-m", "pingsvc.cli", "site", "add", "blog.example"],
        env=env_for(settings), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "registered blog.example" in site_add.stdout
    settings = {**settings, "PINGSVC_WORKER_PROCESSES": "2"}
    serve, base = start_serve(settings, tmp_path / "serve.log")
    try:
        yield Serving(serve, base, settings)
    finally:
        serve.stop(signal.SIGTERM)


def test_serve_runs_web_and_worker_stops_both_and_restarts_on_the_same_data(
    serving: Serving, pages: PageServer, tmp_path: Path
) -> None:
    serve, base, settings = serving
    banner = serve.output()
    assert f"listening on {base}" in banner
    assert f'<link rel="webmention" href="{base}/webmention">' in banner
    assert f'<link rel="pingback" href="{base}/xmlrpc">' in banner
    children = _pids_of_children(serve.proc.pid)
    assert len(children) == 3  # the web server and PINGSVC_WORKER_PROCESSES workers

    source = pages.add("/serve/like.html", LIKE)
    answer = requests.post(f"{base}/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 201
    assert wait_for(lambda: len(_children(base)) == 1, 30), serve.output()
    assert _children(base)[0]["wm-property"] == "like-of"
    # Both workers take from the embedded broker's folder; each message reaches one of them.
    for index in range(12):
        more = pages.add(f"/serve/like-{index}.html", LIKE)
        answer = requests.post(f"{base}/webmention", data={"source": more, "target": TARGET})
        assert answer.status_code == 201
    assert wait_for(lambda: len(_children(base)) == 13, 60), serve.output()
    assert "Traceback" not in serve.output()
    # Nothing serve has decided itself is warned about (embedded broker, running as root).
    assert "No hostname was supplied" not in serve.output()
    assert "SecurityWarning" not in serve.output()

    assert serve.stop(signal.SIGTERM) == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()

    again, base = start_serve(settings, tmp_path / "serve2.log")
    try:
        assert source in [c["wm-source"] for c in _children(base)]
        assert len(_children(base)) == 13
    finally:
        again.stop(signal.SIGINT)
    assert os.path.exists(Path(settings["PINGSVC_VAR_DIR"]) / "pingsvc.sqlite3")


def test_killing_serve_outright_still_stops_the_web_server_and_worker(
    serving: Serving,
) -> None:
    serve = serving.serve
    children = _pids_of_children(serve.proc.pid)
    assert len(children) == 3  # the web server and two workers
    serve.proc.send_signal(signal.SIGKILL)
    serve.proc.wait()

    def gone(pid: int) -> bool:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True

    try:
        assert wait_for(lambda: all(gone(pid) for pid in children), 40), serve.output()
    finally:
        for pid in children:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.integration
def test_the_web_server_takes_the_apis_100_targets_and_answers_longer_lines_in_json(
    settings: dict[str, str], tmp_path: Path
) -> None:
    """gunicorn's default request line (4,094 bytes) refused the API's own limit of 100
    target[] values with an HTML 414; they are answered, and a longer line gets JSON (from
    pingsvc.webserver in front of the app, now that granian serves it)."""
    from tests.support.services import start_web

    env = env_for(settings)
    subprocess.run([sys.executable, "-m", "pingsvc.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    web, base = start_web(settings, tmp_path / "web.log")
    try:
        targets = [f"https://blog.example/posts/a-usual-slug-{n:03d}" for n in range(100)]
        hundred = requests.get(f"{base}/api/count.json", params={"target[]": targets}, timeout=30)
        assert len(hundred.request.url or "") > 4094
        assert hundred.status_code == 200, hundred.text
        assert hundred.json()["count"] == 0 and len(hundred.json()["targets"]) == 100

        long = [t + "-and-then-a-much-longer-one" for t in targets]
        too_long = requests.get(f"{base}/api/count.json", params={"target[]": long}, timeout=30)
        assert too_long.status_code == 414
        assert too_long.headers["Content-Type"] == "application/json"
        body = too_long.json()
        assert body["error"] == "request_line_too_long"
        assert "8190 bytes" in body["error_description"]
    finally:
        assert web.stop() == 0


def _orphans(var_dir: str) -> list[str]:
    """Processes of this test's service (named by its VAR_DIR) whose parent died."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and var_dir in _cmdline(int(entry.name)):
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[1] == "1" and stat[0] != "Z":
                found.append(_cmdline(int(entry.name)))
    return found


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


def test_a_child_that_dies_is_restarted_and_no_mention_is_lost(
    serving: Serving, pages: PageServer
) -> None:
    serve, base, settings = serving
    var = settings["PINGSVC_VAR_DIR"]
    sent = 0
    for kind in ("worker0", "worker1", "web"):  # the scheduler's worker, another, granian
        for _ in range(4):  # work in flight while the child dies
            source = pages.add(f"/restart/like-{sent}.html", LIKE)
            answer = requests.post(f"{base}/webmention", data={"source": source, "target": TARGET})
            assert answer.status_code == 201
            sent += 1
        before = _child_by_kind(serve.proc.pid)
        os.kill(before[kind], signal.SIGKILL)

        def replaced(kind: str = kind, old: int = before[kind]) -> bool:
            now = _child_by_kind(serve.proc.pid)
            return kind in now and now[kind] != old

        assert wait_for(replaced, 60), serve.output()
        assert wait_for(lambda: _healthy(base), 60), serve.output()
        # Nothing the dead child started is left running on its own (worker0's
        # scheduler process, granian's worker processes).
        assert wait_for(lambda: _orphans(var) == [], 30), _orphans(var)
        assert serve.proc.poll() is None
        assert f"{kind} (pid {before[kind]}) was killed by SIGKILL" in serve.output()
        assert "restarting it in" in serve.output()
    # Every mention sent reaches its verdict: none was lost with the child that died.
    assert wait_for(lambda: len(_children(base)) == sent, 90), serve.output()
    assert len(_child_by_kind(serve.proc.pid)) == 3
    assert serve.stop(signal.SIGTERM) == 0


def test_ctrl_c_in_a_terminal_stops_everything_promptly_and_cleanly(
    serving: Serving, pages: PageServer
) -> None:
    serve, base, _settings = serving
    children = _pids_of_children(serve.proc.pid)
    # The terminal signals its foreground process group: serve's, and only serve's.
    group = os.getpgid(serve.proc.pid)
    assert all(os.getpgid(pid) != group for pid in children)
    for index in range(20):  # the hang came after load
        source = pages.add(f"/ctrl-c/like-{index}.html", LIKE)
        requests.post(f"{base}/webmention", data={"source": source, "target": TARGET})
        requests.get(f"{base}/api/mentions.jf2", params={"target": TARGET}, timeout=5)
    os.killpg(group, signal.SIGINT)  # what Ctrl-C in the terminal does
    # A generous bound: a worker that deadlocked was killed by the web server after 20 s.
    assert serve.proc.wait(timeout=15) == 0, serve.output()
    serve.stop(signal.SIGTERM)  # it has exited: this closes its log
    output = serve.log.read_text(errors="replace")
    assert "Perhaps out of memory" not in output and "SIGKILL" not in output, output
    assert "Traceback" not in output, output
    assert [pid for pid in children if _cmdline(pid)] == []  # all gone
