"""Watched feeds against feeds served on 127.0.0.1: every format read, conditional GETs
answered 304, the first poll recording without sending, changed and new entries sent, and
clear errors for URLs that are not feeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.cli import main
from pingsvc.fetch.page import Page
from pingsvc.models import Feed, FeedEntry
from pingsvc.send import feedpoll
from pingsvc.send.feeds import MAX_ENTRIES, NotAFeed, read_feed
from tests.support.pageserver import PageServer

POSTS = ["https://blog.example/post/1", "https://blog.example/post/2"]


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{url[-6:]}</title><link>{url}</link><description>{text}</description></item>"
        for url, text in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
        f"<link>https://blog.example/</link>{body}</channel></rss>"
    )


def atom(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<entry><title>t</title><link rel="alternate" href="{url}"/><id>{url}</id>'
        f'<updated>2026-12-01T00:00:00Z</updated><content type="html">{text}</content></entry>'
        for url, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Blog</title><id>urn:blog</id><updated>2026-12-01T00:00:00Z</updated>{body}</feed>"
    )


def json_feed(items: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Blog",
            "items": [{"id": url, "url": url, "content_html": text} for url, text in items],
        }
    )


def h_feed(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<article class="h-entry"><a class="u-url" href="{url}">#</a>'
        f'<div class="e-content">{text}</div></article>'
        for url, text in items
    )
    return (
        f'<html><body><main class="h-feed"><h1 class="p-name">Blog</h1>{body}</main></body></html>'
    )


FORMATS = {
    "rss": (rss, "application/rss+xml"),
    "atom": (atom, "application/atom+xml; charset=utf-8"),
    "json": (json_feed, "application/feed+json"),
    "h-feed": (h_feed, "text/html; charset=utf-8"),
}


class Queue:
    """Stands in for tasking.enqueue_send_post: the post URLs queued, in order."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.down = False

    def __call__(self, url: str) -> None:
        if self.down:
            raise ConnectionError("the broker is down")
        self.urls.append(url)


@pytest.fixture
def queue() -> Queue:
    return Queue()


def serve(pages: PageServer, path: str, kind: str, items: list[tuple[str, str]], **headers: str):
    render, media_type = FORMATS[kind]
    return pages.add(path, render(items), headers={"Content-Type": media_type, **headers})


def add(app: Flask, url: str, queue: Queue, **kwargs: bool) -> feedpoll.PollResult:
    shared = services(app)
    return feedpoll.add_feed(shared.db, "blog.example", url, shared.pipeline, queue, **kwargs)


def poll(app: Flask, queue: Queue) -> list[feedpoll.PollResult]:
    shared = services(app)
    return feedpoll.poll_all(shared.db, shared.pipeline, queue)


def entries(app: Flask) -> dict[str, FeedEntry]:
    with services(app).db.session() as session:
        return {e.url: e for e in session.scalars(select(FeedEntry))}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_format_is_read_and_its_first_poll_records_without_sending(
    app: Flask, pages: PageServer, queue: Queue, kind: str
) -> None:
    url = serve(pages, f"/feeds/{kind}", kind, [(POSTS[0], "one"), (POSTS[1], "two")])
    result = add(app, url, queue)
    assert (result.outcome, result.format, result.entries) == ("first", kind, 2)
    assert queue.urls == []
    stored = entries(app)
    assert sorted(stored) == POSTS
    assert all(e.sent_fingerprint == e.fingerprint and e.sent_at is None for e in stored.values())


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_new_entry_and_a_changed_one_are_sent_and_the_rest_are_not(
    app: Flask, pages: PageServer, queue: Queue, kind: str
) -> None:
    url = serve(pages, f"/feeds/change-{kind}", kind, [(POSTS[0], "one"), (POSTS[1], "two")])
    add(app, url, queue)
    new = "https://blog.example/post/3"
    serve(
        pages,
        f"/feeds/change-{kind}",
        kind,
        [(new, "three"), (POSTS[0], "one, edited"), (POSTS[1], "two")],
    )
    (result,) = poll(app, queue)
    assert (result.outcome, result.new, result.changed) == ("polled", 1, 1)
    assert sorted(queue.urls) == sorted([new, POSTS[0]])
    assert entries(app)[new].sent_at is not None
    (again,) = poll(app, queue)  # nothing changed since
    assert again.queued == () and len(queue.urls) == 2


def test_send_existing_sends_what_the_first_poll_finds(
    app: Flask, pages: PageServer, queue: Queue
) -> None:
    url = serve(pages, "/feeds/existing", "rss", [(POSTS[0], "one"), (POSTS[1], "two")])
    result = add(app, url, queue, send_existing=True)
    assert result.outcome == "first"
    assert queue.urls == POSTS and result.queued == tuple(POSTS)


def test_an_etag_is_sent_back_and_a_304_changes_nothing(
    app: Flask, pages: PageServer, queue: Queue
) -> None:
    url = serve(pages, "/feeds/etag", "atom", [(POSTS[0], "one")], ETag='"v1"')
    add(app, url, queue)
    (result,) = poll(app, queue)
    assert result.outcome == "not_modified"
    assert pages.last_headers["/feeds/etag"]["If-None-Match"] == '"v1"'
    assert queue.urls == []
    # A new version with a new ETag is fetched in full, and its new entry sent.
    serve(pages, "/feeds/etag", "atom", [(POSTS[1], "two"), (POSTS[0], "one")], ETag='"v2"')
    (changed,) = poll(app, queue)
    assert changed.outcome == "polled" and queue.urls == [POSTS[1]]
    with services(app).db.session() as session:
        assert session.scalars(select(Feed.etag)).one() == '"v2"'


def test_last_modified_is_sent_back_as_if_modified_since(
    app: Flask, pages: PageServer, queue: Queue
) -> None:
    stamp = "Tue, 01 Dec 2026 10:00:00 GMT"
    url = serve(pages, "/feeds/lm", "json", [(POSTS[0], "one")], **{"Last-Modified": stamp})
    add(app, url, queue)
    (result,) = poll(app, queue)
    assert result.outcome == "not_modified"
    assert pages.last_headers["/feeds/lm"]["If-Modified-Since"] == stamp


def test_a_send_the_broker_lost_is_queued_at_the_next_poll(
    app: Flask, pages: PageServer, queue: Queue
) -> None:
    url = serve(pages, "/feeds/lost", "rss", [(POSTS[0], "one")], ETag='"a"')
    add(app, url, queue)
    serve(pages, "/feeds/lost", "rss", [(POSTS[1], "two"), (POSTS[0], "one")], ETag='"b"')
    queue.down = True
    (failed,) = poll(app, queue)
    assert failed.new == 1 and failed.queued == ()
    assert entries(app)[POSTS[1]].sent_at is None
    queue.down = False
    (result,) = poll(app, queue)  # the feed answers 304 now; the due entry still goes
    assert result.outcome == "not_modified" and queue.urls == [POSTS[1]]


def test_entries_on_other_hosts_are_skipped(app: Flask, pages: PageServer, queue: Queue) -> None:
    other = "https://elsewhere.example/post"
    url = serve(pages, "/feeds/mixed", "rss", [(POSTS[0], "one")], ETag='"1"')
    add(app, url, queue)
    serve(pages, "/feeds/mixed", "rss", [(other, "x"), (POSTS[0], "one")], ETag='"2"')
    (result,) = poll(app, queue)
    assert result.foreign == 1 and queue.urls == []
    assert other not in entries(app)


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "expected"),
    [
        ("/feeds/missing", "", "text/html", 404, "returned 404"),
        (
            "/feeds/page",
            '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            "</head><body><p>Hello</p></body></html>",
            "text/html",
            200,
            "without an h-feed or h-entry; it names its feed http://127.0.0.1",
        ),
        ("/feeds/plain", "just words", "text/plain", 200, "is text/plain, not a feed"),
        ("/feeds/json", '{"posts": []}', "application/json", 200, "not a JSON Feed"),
        (
            "/feeds/xml",
            '<?xml version="1.0"?><note>hi</note>',
            "application/xml",
            200,
            "not an RSS",
        ),
    ],
)
def test_a_url_that_is_not_a_feed_is_refused_with_the_reason(
    app: Flask, pages: PageServer, queue: Queue,
    path: str, body: str, content_type: str, status: int, expected: str,
) -> None:  # fmt: skip
    url = pages.add(path, body, status=status, headers={"Content-Type": content_type})
    with pytest.raises(feedpoll.FeedError) as caught:
        add(app, url, queue)
    assert expected in caught.value.description
    with services(app).db.session() as session:
        assert session.scalars(select(Feed)).all() == []  # nothing half-added


@pytest.mark.parametrize(
    ("host", "url", "expected"),
    [
        ("blog.example", "blog.example/feed", "The feed must be an absolute http"),
        ("blog.example", "ftp://blog.example/feed", "The feed must be an absolute http"),
        ("blog.example", "https://blog.example/a feed", "The feed URL contains spaces"),
        ("nobody.example", "https://nobody.example/feed", "nobody.example is not registered"),
    ],
)
def test_bad_feed_urls_and_unknown_hosts_are_clear_errors(
    app: Flask, queue: Queue, host: str, url: str, expected: str
) -> None:
    shared = services(app)
    with pytest.raises(feedpoll.FeedError, match=expected):
        feedpoll.add_feed(shared.db, host, url, shared.pipeline, queue)


def test_a_feed_that_breaks_later_keeps_its_entries_and_says_why(
    app: Flask, pages: PageServer, queue: Queue
) -> None:
    url = serve(pages, "/feeds/breaks", "rss", [(POSTS[0], "one")])
    add(app, url, queue)
    pages.add("/feeds/breaks", "busy", status=503)
    (result,) = poll(app, queue)
    assert result.outcome == "error" and "the feed returned 503" in (result.error or "")
    (info,) = feedpoll.list_feeds(services(app).db)
    assert info.entries == 1 and info.last_error == result.error


@pytest.mark.parametrize(
    ("name", "body", "media_type"),
    [
        ("rss guid permalink", '<rss version="2.0"><channel><item><guid isPermaLink="true">'
         "https://blog.example/g</guid></item></channel></rss>", "text/xml"),
        ("rss relative link", '<rss version="2.0"><channel><item><link>/g</link></item>'
         "</channel></rss>", "application/rss+xml"),
        ("implied h-feed", '<body><div class="h-entry"><a class="u-url" href="/g">x</a></div>'
         "</body>", "text/html"),
        ("json relative url", '{"version": "https://jsonfeed.org/version/1", "items": '
         '[{"id": "1", "url": "/g"}]}', "application/json"),
    ],
)  # fmt: skip
def test_entry_urls_come_from_links_permalinks_and_relative_urls(
    name: str, body: str, media_type: str
) -> None:
    page = Page("https://blog.example/feed", 200, media_type, body.encode())
    assert [e.url for e in read_feed(page).entries] == ["https://blog.example/g"]


def test_an_archive_feed_is_read_up_to_the_entry_limit() -> None:
    items = [(f"https://blog.example/p/{n}", "x") for n in range(MAX_ENTRIES + 5)]
    page = Page("https://blog.example/feed", 200, "application/rss+xml", rss(items).encode())
    assert len(read_feed(page).entries) == MAX_ENTRIES


def test_an_h_feed_page_without_permalinks_says_what_is_missing() -> None:
    body = b'<div class="h-feed"><div class="h-entry"><p class="p-name">x</p></div></div>'
    with pytest.raises(NotAFeed, match="none with a u-url"):
        read_feed(Page("https://blog.example/", 200, "text/html", body))


def test_the_beat_polls_the_feeds_every_feed_interval() -> None:
    from worker.schedule import beat_schedule

    schedule = beat_schedule({"SWEEP_INTERVAL": 60, "REVERIFY_AFTER_DAYS": 0, "FEED_INTERVAL": 900})
    assert schedule["poll-watched-feeds"] == {"task": "pingsvc.feed_poll", "schedule": 900.0}
    off = beat_schedule({"SWEEP_INTERVAL": 60, "REVERIFY_AFTER_DAYS": 0, "FEED_INTERVAL": 0})
    assert "poll-watched-feeds" not in off


def queued_sends(settings: dict[str, str]) -> int:
    """send_post messages waiting in the embedded broker's queue folder."""
    folder = Path(settings["PINGSVC_VAR_DIR"]) / "queue"
    return sum(b"pingsvc.send_post" in f.read_bytes() for f in folder.glob("*"))


def test_the_feed_commands_add_list_and_poll(
    app: Flask, pages: PageServer, settings: dict[str, str]
) -> None:
    url = serve(pages, "/feeds/cli", "rss", [(POSTS[0], "one")], ETag='"c1"')
    cli = CliRunner()
    added = cli.invoke(main, ["feed", "add", "blog.example", url])
    assert added.exit_code == 0, added.output
    assert f"watching {url} for blog.example" in added.stdout
    assert "rss, 1 entries recorded (first poll); 0 queued to send" in added.stdout
    listed = cli.invoke(main, ["feed", "list"])
    assert (
        listed.stdout.startswith(f"blog.example\t{url}\t1 entries\t") and "\tok\n" in listed.stdout
    )
    again = cli.invoke(main, ["feed", "add", "blog.example", url])
    assert again.exit_code == 1 and "already watched" in again.output

    serve(pages, "/feeds/cli", "rss", [(POSTS[1], "two"), (POSTS[0], "one")], ETag='"c2"')
    polled = cli.invoke(main, ["feed", "poll"])
    assert polled.exit_code == 0, polled.output
    assert "1 new, 0 changed; 1 queued to send" in polled.stdout
    assert queued_sends(settings) == 1  # a real send_post message, for the worker

    pages.add("/feeds/cli", "gone", status=404)
    broken = cli.invoke(main, ["feed", "poll"])
    assert broken.exit_code == 1 and "error: the feed returned 404" in broken.stdout


def test_feed_add_refuses_a_page_that_is_not_a_feed(app: Flask, pages: PageServer) -> None:
    url = pages.add("/feeds/cli-page", "<p>hello</p>")
    result = CliRunner().invoke(main, ["feed", "add", "blog.example", url])
    assert result.exit_code == 1
    assert "can't be watched" in result.output and "without an h-feed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.integration
@pytest.mark.parametrize("install", ["settings", "production_settings"])
def test_the_worker_task_polls_the_feeds_and_queues_the_sends(
    install: str,
    request: pytest.FixtureRequest,
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Embedded (SQLite, broker folder), then PostgreSQL + Redis."""
    from pingsvc.models import Site
    from pingsvc.tasking import FEED_POLL_TASK, publish
    from tests.conftest import make_app
    from tests.support.services import start_worker, wait_for

    settings = {**request.getfixturevalue(install), "PINGSVC_FEED_INTERVAL": "1"}
    app = make_app(settings, monkeypatch)
    with services(app).db.session() as session:  # posts on the page server: never a DNS lookup
        session.add(Site(host="127.0.0.1"))
        session.commit()
    first, second = pages.add("/feeds/w/1", "<p>one</p>"), pages.add("/feeds/w/2", "<p>two</p>")
    url = serve(pages, "/feeds/worker", "json", [(first, "one")], ETag='"w1"')
    shared = services(app)
    feedpoll.add_feed(shared.db, "127.0.0.1", url, shared.pipeline, Queue())
    serve(pages, "/feeds/worker", "json", [(second, "two"), (first, "one")], ETag='"w2"')
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        with app.app_context():
            publish(app.extensions["celery"], FEED_POLL_TASK)

        def sent() -> bool:
            entry = entries(app).get(second)
            return entry is not None and entry.sent_at is not None

        assert wait_for(sent, 30), worker.output()
        assert entries(app)[first].sent_at is None  # recorded by the first poll, never sent
    finally:
        worker.stop()
    services(app).db.dispose()
