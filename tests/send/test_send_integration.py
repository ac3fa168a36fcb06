"""Sending with real parts: a real Celery worker (embedded: SQLite and the broker folder;
production: PostgreSQL and Redis), `pingsvc send` as a real process, POST /api/send, and a
round trip to a second pingsvc instance (`pingsvc serve`) whose API then shows the mentions."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from flask import Flask

from pingsvc.db import Database, services
from pingsvc.migrate import upgrade
from pingsvc.models import Site
from pingsvc.send import store
from pingsvc.tasking import enqueue_send_post
from tests.conftest import make_app
from tests.support.pageserver import PageServer, Route
from tests.support.sending import (
    far,
    farther,
    post_page,
    register_author_site,
    send_settings,
    target_page,
)
from tests.support.services import ROOT, Process, env_for, start_serve, start_worker, wait_for

pytestmark = pytest.mark.integration
__all__ = ["far", "farther"]  # fixtures

Worker = Callable[..., Process]


@pytest.fixture
def run_worker(tmp_path: Path) -> Iterator[Worker]:
    """Starts a real worker on the settings it is given (and Celery options), logging to
    tmp_path/worker.log; stopped when the test ends, whether it passed or not."""
    started: list[Process] = []

    def start(settings: dict[str, str], *extra: str) -> Process:
        started.append(start_worker(settings, tmp_path / "worker.log", *extra))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def _sender(
    settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    pages: PageServer,
    *receivers: PageServer,
    also_fetch: str = "",
    **extra: str,
) -> tuple[dict[str, str], Flask, str]:
    """The sending side: settings that may fetch `pages` (the author's site), the receivers
    and `also_fetch` (host:port), with `extra` on top; its app; the author site's API token."""
    sender = {**send_settings(settings, pages, *receivers), **extra}
    if also_fetch:
        sender["PINGSVC_FETCH_ALLOW"] += f",{also_fetch}"
    app = make_app(sender, monkeypatch)
    return sender, app, register_author_site(app)


def _pingsvc_send(settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pingsvc.cli", "send", *args],
        env=env_for(settings), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["embedded", "production"])
def test_pingsvc_send_and_the_api_with_a_real_worker(
    mode: str,
    request: pytest.FixtureRequest,
    settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    run_worker: Worker,
) -> None:
    chosen = request.getfixturevalue("production_settings") if mode == "production" else settings
    sender, app, token = _sender(chosen, monkeypatch, pages, far, farther)
    tag = uuid.uuid4().hex[:8]
    good = far.add(f"/{tag}/good", **target_page(far.add(f"/{tag}/wm", "", status=202)))  # type: ignore[arg-type]
    bad_endpoint = farther.add(f"/{tag}/wm", "no such post", status=400,
                               headers={"Content-Type": "text/plain"})  # fmt: skip
    bad = farther.add(f"/{tag}/bad", **target_page(bad_endpoint))  # type: ignore[arg-type]
    source = pages.add(f"/{tag}/post", post_page(good, bad))
    callback = farther.add(f"/{tag}/callback", "", status=204)

    worker = run_worker(sender)
    done = _pingsvc_send(sender, source, "--wait")
    assert done.returncode == 1, done.stdout + done.stderr  # one target ended in error
    rows = [line.split() for line in done.stdout.splitlines()]
    assert rows[0] == ["target", "protocol", "endpoint", "status", "code"]
    assert rows[1] == [good, "webmention", far.url(f"/{tag}/wm"), "accepted", "202"]
    assert rows[2] == [bad, "webmention", bad_endpoint, "error", "400"]
    assert "the endpoint answered 400: no such post" in done.stderr

    client = app.test_client()
    answer = client.post(
        "/api/send",
        data={"token": token, "source": source, "target": good, "callback": callback},
    )
    assert answer.status_code == 201, answer.get_json()
    location = answer.headers["Location"]
    path = location.removeprefix(app.config["BASE_URL"])

    def status() -> str:
        return str(client.get(path).get_json()["status"])

    assert wait_for(lambda: status() != "queued", 60), worker.output()
    assert client.get(path).get_json()["status"] == "accepted"
    assert wait_for(lambda: len(farther.posted(f"/{tag}/callback")) == 1, 30)
    (called,) = farther.posted(f"/{tag}/callback")
    form = parse_qs(called.body.decode())
    assert form["status"] == ["accepted"] and form["target"] == [good]
    assert len(far.posted(f"/{tag}/wm")) == 2  # the CLI's send, then the API's

    # A feed's new entry: the worker fetches and plans the post itself.
    later = pages.add(f"/{tag}/later", post_page(good))
    with app.app_context():
        enqueue_send_post(later)

    def later_sent() -> list[str]:
        with services(app).db.session() as session:
            return [row.status for row in store.for_source(session, later)]

    assert wait_for(lambda: later_sent() == ["accepted"], 60), worker.output()


REPLY = """<!doctype html><html><head><title>Re: their posts</title></head><body>
<article class="h-entry"><a class="p-author h-card" href="/">Ann Author</a>
<p>In reply to <a class="u-in-reply-to" href="{reply_to}">their post</a></p>
<div class="e-content">I agree, and so does <a href="{mentioned}">this old post</a>.</div>
</article></body></html>"""


def test_round_trip_to_a_second_pingsvc_by_webmention_and_by_pingback(
    settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    run_worker: Worker,
) -> None:
    """pingsvc sends for a post to another pingsvc (`pingsvc serve`, its own /webmention and
    /xmlrpc): one target advertises its webmention endpoint, the other only X-Pingback; the
    mentions then show in that instance's API with the right protocol and property."""
    var = tmp_path / "receiver"
    receiver = {
        **settings,
        "PINGSVC_VAR_DIR": str(var),
        "PINGSVC_DATABASE_URL": f"sqlite:///{var / 'pingsvc.sqlite3'}",
        "PINGSVC_FETCH_ALLOW": pages.hostport,  # it fetches our post to verify it
        "PINGSVC_QUEUE": f"{settings['PINGSVC_QUEUE']}-receiver",
        "PINGSVC_WORKER_PROCESSES": "1",
        "PINGSVC_WORKER_CONCURRENCY": "2",
    }
    upgrade(receiver["PINGSVC_DATABASE_URL"])
    database = Database(receiver["PINGSVC_DATABASE_URL"])
    with database.session() as session:  # the receiving blogs, as `pingsvc site add` does
        session.add_all([Site(host=far.host), Site(host=farther.host)])
        session.commit()
    database.dispose()
    serve, base = start_serve(receiver, tmp_path / "receiver.log")
    try:
        tag = uuid.uuid4().hex[:8]
        reply_to = far.add(f"/{tag}/their-post", **target_page(f"{base}/webmention"))  # type: ignore[arg-type]
        mentioned = farther.add(f"/{tag}/old-post", **target_page(pingback=f"{base}/xmlrpc"))  # type: ignore[arg-type]
        source = pages.add(f"/{tag}/reply", REPLY.format(reply_to=reply_to, mentioned=mentioned))

        its_endpoints = base.removeprefix("http://")
        sender, _, _ = _sender(settings, monkeypatch, pages, far, farther, also_fetch=its_endpoints)
        worker = run_worker(sender)

        done = _pingsvc_send(sender, source, "--wait", "--json")
        assert done.returncode == 0, done.stdout + done.stderr + worker.output()
        sent = {t["target"]: t for t in json.loads(done.stdout)["targets"]}
        assert sent[reply_to]["status"] == "accepted" and sent[reply_to]["type"] == "webmention"
        assert sent[reply_to]["endpoint"] == f"{base}/webmention"
        assert sent[reply_to]["location"].startswith(f"{base}/webmention/status/")
        assert sent[mentioned]["status"] == "accepted" and sent[mentioned]["type"] == "pingback"
        assert sent[mentioned]["endpoint"] == f"{base}/xmlrpc"

        def shown(target: str) -> list[dict]:
            api = requests.get(f"{base}/api/mentions.jf2", params={"target": target}, timeout=5)
            return list(api.json()["children"])

        assert wait_for(lambda: len(shown(reply_to)) == 1, 60), serve.output()
        assert wait_for(lambda: len(shown(mentioned)) == 1, 60), serve.output()
        (reply,) = shown(reply_to)
        assert (reply["wm-protocol"], reply["wm-property"]) == ("webmention", "in-reply-to")
        assert reply["wm-source"] == source and reply["author"]["name"] == "Ann Author"
        (ping,) = shown(mentioned)
        assert (ping["wm-protocol"], ping["wm-property"]) == ("pingback", "mention-of")
        assert ping["wm-source"] == source
    finally:
        serve.stop()


def test_the_sweeper_sends_what_the_broker_lost(
    settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    run_worker: Worker,
) -> None:
    """Rows committed but never queued (the broker was down, or lost the message): the
    worker's scheduler finds them after PINGSVC_SWEEP_AFTER and delivers them."""
    from pingsvc.send.post import SendSettings, send_post

    sender, app, _ = _sender(settings, monkeypatch, pages, far, farther)
    tag = uuid.uuid4().hex[:8]
    target = far.add(f"/{tag}/t", **target_page(far.add(f"/{tag}/wm", "", status=202)))  # type: ignore[arg-type]
    source = pages.add(f"/{tag}/post", post_page(target))
    plan = send_post(services(app).db, source, SendSettings.from_config(app.config), enqueue=None)
    assert [p.target for p in plan.targets] == [target]
    worker = run_worker(sender, "--beat", "--schedule", str(tmp_path / "beat"))

    def status() -> str:
        with services(app).db.session() as session:
            (row,) = store.for_source(session, source)
            return row.status

    assert wait_for(lambda: status() == "accepted", 60), worker.output()
    assert len(far.posted(f"/{tag}/wm")) == 1
    assert "sweeper re-queued 1 sends" in worker.output()


def test_a_receiving_host_gets_at_most_per_host_requests_at_once(
    settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    run_worker: Worker,
) -> None:
    """Six targets on one host, a worker of four threads, PINGSVC_SEND_PER_HOST=2: the host's
    slow endpoint never serves more than two of them at once, and every one is delivered."""
    import threading
    import time

    lock = threading.Lock()
    active, peak = [0], [0]

    def slow_answer() -> Iterator[bytes]:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.3)
            yield b"thanks"
        finally:
            with lock:
                active[0] -= 1

    tag = uuid.uuid4().hex[:8]
    endpoint = far.url(f"/{tag}/wm")
    far.routes[f"/{tag}/wm"] = Route(202, slow_answer, {"Content-Type": "text/plain"})
    targets = [far.add(f"/{tag}/t{n}", **target_page(endpoint)) for n in range(6)]  # type: ignore[arg-type]
    source = pages.add(f"/{tag}/post", post_page(*targets))
    sender, _, _ = _sender(settings, monkeypatch, pages, far, farther, PINGSVC_SEND_PER_HOST="2")
    worker = run_worker(sender)
    done = _pingsvc_send(sender, source, "--wait", "--json")
    assert done.returncode == 0, done.stdout + done.stderr + worker.output()
    statuses = [t["status"] for t in json.loads(done.stdout)["targets"]]
    assert statuses == ["accepted"] * 6
    worker.stop()  # every delivery is over
    assert len(far.posted(f"/{tag}/wm")) == 6
    assert 1 <= peak[0] <= 2
