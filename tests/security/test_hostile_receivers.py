"""Receivers are strangers: what a target page, its endpoint and a feed server send back
(over-long URLs and validators, terminal escape sequences) must not break the stored
status, repeat a delivery, or reach the operator's terminal as control characters."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from pingsvc.cli import main
from pingsvc.db import services
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.models import ACCEPTED, ERROR, Feed, Outgoing, Site
from pingsvc.send import feedpoll, outbox, store
from pingsvc.send.post import SendSettings
from pingsvc.terminal import printable
from pingsvc.urls import URL_MAX_LENGTH
from tests.support.pageserver import PageServer
from tests.support.scripted import Scripted
from tests.support.sending import (
    AUTHOR_HOST,
    far,
    farther,
    post_page,
    send_app,
    send_app_postgres,
)

__all__ = ["far", "farther", "send_app", "send_app_postgres"]  # fixtures

INSTALLS = ["send_app", pytest.param("send_app_postgres", marks=pytest.mark.integration)]


def _queue(app: Flask, target: str) -> int:
    with services(app).db.session() as session:
        site = session.scalars(select(Site).where(Site.host == AUTHOR_HOST)).one()
        outgoing_id = store.upsert(session, site.id, "http://127.0.0.1/post", target, linked=True)
        session.commit()
    return outgoing_id


def _row(app: Flask, outgoing_id: int) -> Outgoing:
    with services(app).db.session() as session:
        row = session.get(Outgoing, outgoing_id)
        assert row is not None
        return row


@pytest.mark.parametrize("install", INSTALLS)
def test_an_over_long_location_is_dropped_and_the_webmention_sent_once(
    install: str, request: pytest.FixtureRequest, far: PageServer
) -> None:
    """A Location longer than any URL pingsvc stores (PostgreSQL refuses the write) must not
    turn an accepted webmention into a failed write that the worker retries, POSTing again."""
    app: Flask = request.getfixturevalue(install)
    tag = uuid.uuid4().hex[:8]
    location = far.url(f"/{tag}/status/" + "x" * (URL_MAX_LENGTH + 100))
    endpoint = far.add(f"/{tag}/wm", "", status=201, headers={"Location": location})
    target = far.add(f"/{tag}/t", "<p>hi</p>", headers={"Link": f'<{endpoint}>; rel="webmention"'})
    outgoing_id = _queue(app, target)
    settings = SendSettings.from_config(app.config)

    assert outbox.deliver_one(services(app).db, outgoing_id, settings) == ACCEPTED
    row = _row(app, outgoing_id)
    assert row.status == ACCEPTED and row.http_code == 201 and row.location is None
    assert "status URL" in (row.summary or "")
    assert len(far.posted(f"/{tag}/wm")) == 1


@pytest.mark.parametrize("install", INSTALLS)
def test_an_over_long_endpoint_is_an_error_and_never_posted_to(
    install: str, request: pytest.FixtureRequest, far: PageServer
) -> None:
    app: Flask = request.getfixturevalue(install)
    tag = uuid.uuid4().hex[:8]
    path = f"/{tag}/wm?" + "q" * (URL_MAX_LENGTH + 100)
    far.add(path, "", status=202)
    target = far.add(f"/{tag}/t", f'<link rel="webmention" href="{far.url(path)}"><p>hi</p>')
    outgoing_id = _queue(app, target)
    settings = SendSettings.from_config(app.config)

    assert outbox.deliver_one(services(app).db, outgoing_id, settings) == ERROR
    row = _row(app, outgoing_id)
    assert row.status == ERROR and row.protocol == "webmention"
    assert row.endpoint is not None and len(row.endpoint) <= URL_MAX_LENGTH
    assert f"longer than {URL_MAX_LENGTH}" in (row.last_error or "")
    assert far.posted(path) == []


@pytest.mark.parametrize("install", INSTALLS)
def test_over_long_feed_validators_are_not_kept_and_the_poll_goes_on(
    install: str, request: pytest.FixtureRequest, pages: PageServer
) -> None:
    """An ETag or Last-Modified longer than the columns that keep them (PostgreSQL refuses
    the write) is dropped: the next poll is a full GET, not a crash of every poll."""
    app: Flask = request.getfixturevalue(install)
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "items": '
        '[{"id": "1", "url": "https://blog.example/post/1", "content_html": "one"}]}'
    )
    tag = uuid.uuid4().hex[:8]
    url = pages.add(
        f"/{tag}/feed.json",
        feed,
        headers={
            "Content-Type": "application/feed+json",
            "ETag": '"' + "e" * 600 + '"',
            "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT" + " " * 10 + "x" * 80,
        },
    )
    shared = services(app)
    queued: list[str] = []
    result = feedpoll.add_feed(shared.db, "blog.example", url, shared.pipeline, queued.append)
    assert result.outcome == "first" and result.entries == 1
    with shared.db.session() as session:
        stored = session.scalars(select(Feed)).one()
        assert (stored.etag, stored.last_modified, stored.last_error) == (None, None, None)
    (again,) = feedpoll.poll_all(shared.db, shared.pipeline, queued.append)
    assert again.outcome == "polled"
    assert "If-None-Match" not in pages.last_headers[f"/{tag}/feed.json"]


# -- what reaches the operator's terminal ------------------------------------------------

# An OSC that retitles the terminal (ended by ST, as ESC passes the binary-data sniffing
# that BEL does not), a CSI that clears it, a C1 CSI, and a right-to-left override that makes
# the rest of the line read backwards: none may reach a terminal raw.
ESCAPES = "\x1b]0;owned\x1b\\\x1b[2J\x9b31m\u202e"
RAW = ("\x1b", "\x9b", "\u202e")


def _deliver_in_the_background(app: Flask, source: str) -> tuple[threading.Thread, threading.Event]:
    """Does what the worker does for `source`'s queued sends, in this process, until stopped."""
    db, settings = services(app).db, SendSettings.from_config(app.config)
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            with db.session() as session:
                due = [r.id for r in store.for_source(session, source) if r.status == "queued"]
            for outgoing_id in due:
                with contextlib.suppress(Exception):
                    outbox.deliver_one(db, outgoing_id, settings)
            stop.wait(0.05)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, stop


def test_a_receivers_words_reach_the_terminal_escaped(
    send_app: Flask, pages: PageServer, far: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    answer = json.dumps({"error_description": f"bad {ESCAPES} source"})
    endpoint = far.add(
        f"/{tag}/wm", answer, status=400, headers={"Content-Type": "application/json"}
    )
    target = far.add(f"/{tag}/t", "<p>hi</p>", headers={"Link": f'<{endpoint}>; rel="webmention"'})
    source = pages.add(f"/{tag}/post", post_page(target))
    thread, stop = _deliver_in_the_background(send_app, source)
    try:
        result = CliRunner().invoke(main, ["send", source, "--wait"])
    finally:
        stop.set()
        thread.join(5)
    assert result.exit_code == 1, result.output
    assert "bad" in result.stderr and "source" in result.stderr  # the words are shown...
    for raw in RAW:  # ...without a control character among them
        assert raw not in result.stdout and raw not in result.stderr
    assert "\\x1b]0;owned" in result.stderr


def test_an_endpoint_url_reaches_the_terminal_escaped_in_a_dry_run(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    target = far.add(f"/{tag}/t", f'<link rel="webmention" href="/{tag}/wm{ESCAPES}"><p>hi</p>')
    source = pages.add(f"/{tag}/post", post_page(target))
    result = CliRunner().invoke(main, ["send", source, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"/{tag}/wm" in result.stdout
    for raw in RAW:
        assert raw not in result.stdout
    assert json.loads(CliRunner().invoke(main, ["send", source, "--dry-run", "--json"]).stdout)


def test_a_feeds_words_reach_the_terminal_escaped(send_app: Flask, pages: PageServer) -> None:
    tag = uuid.uuid4().hex[:8]
    url = pages.add(f"/{tag}/feed.json", '{"version": "https://jsonfeed.org/version/1.1", '
                    '"items": [{"url": "https://blog.example/p/1"}]}',
                    headers={"Content-Type": "application/feed+json"})  # fmt: skip
    assert CliRunner().invoke(main, ["feed", "add", "blog.example", url]).exit_code == 0
    # The feed's URL now serves a page naming another feed, which the error quotes.
    alternate = f'<link rel="alternate" type="application/rss+xml" href="/{tag}/{ESCAPES}.xml">'
    pages.add(f"/{tag}/feed.json", f"<html><head>{alternate}</head><body><p>hi</p></body></html>")
    polled = CliRunner().invoke(main, ["feed", "poll"])
    listed = CliRunner().invoke(main, ["feed", "list"])
    assert polled.exit_code == 1 and "it names its feed" in polled.stdout
    assert "it names its feed" in listed.stdout
    for raw in RAW:
        assert raw not in polled.stdout and raw not in listed.stdout


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain words, émoji 👩‍💻", "plain words, émoji 👩‍💻"), ("a\x1b[2Jb", "a\\x1b[2Jb"),
     ("tab\tnew\nline", "tab\\x09new\\x0aline"), ("\x9b31m", "\\x9b31m"), ("\x7f", "\\x7f"),
     ("abc\u202edef", "abc\\u202edef"), ("\u2066x\u2069", "\\u2066x\\u2069"), (None, "None")],
)  # fmt: skip
def test_printable_escapes_control_characters_only(text: object, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize(
    "location",
    ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>",
     "file:///etc/passwd", "http://rcv.example/status/\x1b[2J"],
)  # fmt: skip
def test_a_status_url_that_is_not_http_is_not_kept(
    send_app: Flask, far: PageServer, location: str
) -> None:
    """The receiver's Location goes out in the API's JSON and the callback, where clients
    link it: only an http(s) URL without control characters is kept."""
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=201, headers={"Location": location})
    target = far.add(f"/{tag}/t", "<p>hi</p>", headers={"Link": f'<{endpoint}>; rel="webmention"'})
    outgoing_id = _queue(send_app, target)
    settings = SendSettings.from_config(send_app.config)
    assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) == ACCEPTED
    row = _row(send_app, outgoing_id)
    assert row.location is None
    assert "not kept" in (row.summary or "")


def _slow_headers() -> Scripted:
    """Headers a byte every 20 ms (a line every 0.22 s, each byte inside the socket timeout)
    for 8 s: a callback that holds the worker as long as it likes, unless the time budget
    ends it."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
    return Scripted(head, b"X-Slow: 1\r\n", after=8.0, pause=0.02)


def test_a_callback_that_drips_its_headers_is_ended_by_the_time_budget() -> None:
    drip = _slow_headers()
    try:
        policy = FetchPolicy(timeout=1.0, allow=frozenset({drip.hostport}))
        settings = SendSettings(callback_policy=policy)
        row = Outgoing(
            id=1, source="https://blog.example/p", target="https://rcv.example/", status=ACCEPTED,
            callback=f"http://{drip.hostport}/callback",
        )  # fmt: skip
        attempt = outbox.call_back(row, settings)
    finally:
        drip.close()
    assert not attempt.ok
    assert attempt.error == "the callback did not answer in time"
