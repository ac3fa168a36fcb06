"""`pingsvc send URL`: dry runs, queueing, JSON, and its exit codes (in-process; the worker's
half is in test_send_integration.py)."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from click.testing import CliRunner
from flask import Flask

from pingsvc.cli import main
from pingsvc.db import services
from pingsvc.send import store
from tests.support.pageserver import PageServer
from tests.support.sending import far, farther, post_page, send_app, target_page

__all__ = ["far", "farther", "send_app"]  # fixtures


@pytest.fixture
def post(pages: PageServer, far: PageServer) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=202)
    a = far.add(f"/{tag}/a", **target_page(endpoint))  # type: ignore[arg-type]
    bare = far.add(f"/{tag}/bare", **target_page())  # type: ignore[arg-type]
    return {
        "url": pages.add(f"/{tag}/post", post_page(a, bare)),
        "a": a,
        "bare": bare,
        "endpoint": endpoint,
        "tag": tag,
    }


def test_a_dry_run_prints_each_targets_endpoint_and_sends_nothing(
    send_app: Flask, post: dict[str, str], far: PageServer
) -> None:
    result = CliRunner().invoke(main, ["send", post["url"], "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["target", "protocol", "endpoint"]
    assert lines[1].split() == [post["a"], "webmention", post["endpoint"]]
    assert lines[2].startswith(post["bare"]) and "none:" in lines[2]
    assert far.posted(f"/{post['tag']}/wm") == []
    as_json = CliRunner().invoke(main, ["send", post["url"], "--dry-run", "--json"])
    document = json.loads(as_json.stdout)
    assert [t["endpoint"] for t in document["targets"]] == [post["endpoint"], None]


def test_sending_queues_each_target_and_prints_its_status_url(
    send_app: Flask, post: dict[str, str]
) -> None:
    result = CliRunner().invoke(main, ["send", post["url"], "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(t["target"], t["status"]) for t in document["targets"]] == [
        (post["a"], "queued"), (post["bare"], "queued"),
    ]  # fmt: skip
    with services(send_app).db.session() as session:
        rows = store.for_source(session, post["url"])
    base = send_app.config["BASE_URL"]
    assert [t["location"] for t in document["targets"]] == [
        f"{base}/api/send/{row.public_id}" for row in rows
    ]


def test_waiting_without_a_worker_ends_with_exit_1_and_says_why(
    send_app: Flask, post: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGSVC_SEND_WAIT", "0")
    result = CliRunner().invoke(main, ["send", post["url"], "--wait"])
    assert result.exit_code == 1
    assert "still queued" in result.stderr and "worker" in result.stderr
    assert result.stdout.splitlines()[0].split() == [
        "target", "protocol", "endpoint", "status", "code",
    ]  # fmt: skip


def test_a_post_that_is_not_a_registered_sites_is_refused_with_exit_1(
    send_app: Flask, far: PageServer
) -> None:
    url = far.add(f"/{uuid.uuid4().hex[:8]}/post", post_page("https://example.com/"))
    result = CliRunner().invoke(main, ["send", url])
    assert result.exit_code == 1
    assert "not a registered site" in result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_waiting_shows_a_progress_bar_only_on_a_terminal(
    send_app: Flask, post: dict[str, str], monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    from pingsvc.models import ACCEPTED
    from pingsvc.send import command
    from pingsvc.send.post import SendSettings, send_post

    db = services(send_app).db
    plan = send_post(db, post["url"], SendSettings.from_config(send_app.config))
    ids = [p.outgoing_id for p in plan.targets if p.outgoing_id is not None]
    for outgoing_id in ids:
        store.finish(db, outgoing_id, ACCEPTED)
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert command._wait(db, ids, 5, show_progress=True) is True
    shown = stream.getvalue()
    assert ("sending" in shown and "100%" in shown) if terminal else shown == ""
