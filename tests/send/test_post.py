"""send.post: which targets a send goes to (current links, removed links, every earlier
target of a deleted post), for registered sites only; against real servers on 127.0.0.1."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs

import pytest
from flask import Flask

from pingsvc.db import services
from pingsvc.errors import NotOurPost, SendRefused
from pingsvc.models import ACCEPTED
from pingsvc.send import outbox, store
from pingsvc.send.post import SendSettings, plan_targets, send_post
from tests.support.pageserver import PageServer
from tests.support.sending import (
    far,
    farther,
    post_page,
    send_app,
    send_app_postgres,
    target_page,
)

__all__ = ["far", "farther", "send_app", "send_app_postgres"]  # fixtures


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _settings(app: Flask) -> SendSettings:
    return SendSettings.from_config(app.config)


def _targets(far: PageServer, tag: str, *names: str) -> list[str]:
    endpoint = far.add(f"/{tag}/wm", "", status=202, headers={"Location": far.url(f"/{tag}/s/1")})
    return [far.add(f"/{tag}/{name}", **target_page(endpoint)) for name in names]  # type: ignore[arg-type]


def _deliver_all(app: Flask, queued: list[int]) -> list[str | None]:
    return [outbox.deliver_one(services(app).db, i, _settings(app)) for i in queued]


def _told(far: PageServer, tag: str) -> list[tuple[str, str]]:
    """(source, target) of every webmention the receiver's endpoint got."""
    out = []
    for posted in far.posted(f"/{tag}/wm"):
        form = parse_qs(posted.body.decode())
        out.append((form["source"][0], form["target"][0]))
    return out


@pytest.mark.parametrize(
    ("links", "earlier", "expected"),
    [
        (["a", "b"], [], [("a", True), ("b", True)]),
        (["a", "c"], ["a", "b"], [("a", True), ("c", True), ("b", False)]),
        (None, ["a", "b"], [("a", False), ("b", False)]),
        (None, [], []),
        ([], ["a"], [("a", False)]),
    ],
)
def test_plan_sends_to_current_links_then_to_removed_ones(
    links: list[str] | None, earlier: list[str], expected: list[tuple[str, bool]]
) -> None:
    assert plan_targets(links, earlier) == expected


def test_a_removed_link_is_sent_to_on_the_next_send(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    tag = _tag()
    a, b, c = _targets(far, tag, "a", "b", "c")
    post = pages.add(f"/{tag}/post", post_page(a, b))
    queued: list[int] = []
    first = send_post(services(send_app).db, post, _settings(send_app), enqueue=queued.append)
    assert [(p.target, p.linked) for p in first.targets] == [(a, True), (b, True)]
    assert _deliver_all(send_app, queued) == [ACCEPTED, ACCEPTED]

    pages.add(f"/{tag}/post", post_page(a, c))  # the author edits the post: b is gone
    queued.clear()
    second = send_post(services(send_app).db, post, _settings(send_app), enqueue=queued.append)
    assert [(p.target, p.linked) for p in second.targets] == [(a, True), (c, True), (b, False)]
    assert _deliver_all(send_app, queued) == [ACCEPTED, ACCEPTED, ACCEPTED]
    assert _told(far, tag) == [(post, a), (post, b), (post, a), (post, c), (post, b)]
    with services(send_app).db.session() as session:
        rows = {row.target: row for row in store.for_source(session, post)}
        assert rows[b].linked is False and rows[b].status == ACCEPTED
        assert rows[a].location == far.url(f"/{tag}/s/1")
        assert rows[a].attempts == 1  # a re-send starts its count again


def test_a_deleted_post_is_sent_to_every_earlier_target(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    tag = _tag()
    a, b, c = _targets(far, tag, "a", "b", "c")
    post = pages.add(f"/{tag}/post", post_page(a, b))
    queued: list[int] = []
    send_post(services(send_app).db, post, _settings(send_app), enqueue=queued.append)
    pages.add(f"/{tag}/post", post_page(a, c))
    send_post(services(send_app).db, post, _settings(send_app), enqueue=queued.append)
    _deliver_all(send_app, queued)
    far.posts.clear()

    pages.add(f"/{tag}/post", "<h1>Gone</h1>", status=410)
    queued.clear()
    gone = send_post(services(send_app).db, post, _settings(send_app), enqueue=queued.append)
    assert gone.gone is True
    told = sorted((p.target, p.linked) for p in gone.targets)
    assert told == [(a, False), (b, False), (c, False)]
    assert _deliver_all(send_app, queued) == [ACCEPTED] * 3
    assert sorted(_told(far, tag)) == [(post, a), (post, b), (post, c)]


def test_a_deleted_post_never_sent_for_has_no_one_to_tell(
    send_app: Flask, pages: PageServer
) -> None:
    post = pages.add(f"/{_tag()}/post", "gone", status=410)
    with pytest.raises(SendRefused) as refused:
        send_post(services(send_app).db, post, _settings(send_app))
    assert refused.value.code == "no_link_found"


def test_a_post_on_a_host_that_is_not_a_registered_site_is_refused_unfetched(
    send_app: Flask, far: PageServer
) -> None:
    tag = _tag()
    post = far.add(f"/{tag}/post", post_page("https://example.com/"))
    with pytest.raises(NotOurPost) as refused:
        send_post(services(send_app).db, post, _settings(send_app))
    assert refused.value.status == 403
    assert "not a registered site" in refused.value.description
    assert f"/{tag}/post" not in far.hits  # pingsvc is not an open relay: not even fetched


def test_a_post_of_another_site_than_the_tokens_is_refused(
    send_app: Flask, pages: PageServer
) -> None:
    post = pages.add(f"/{_tag()}/post", post_page("https://example.com/"))
    with pytest.raises(NotOurPost):
        send_post(services(send_app).db, post, _settings(send_app), site_id=10_000)


def test_one_target_or_one_domain_narrows_the_send(
    send_app: Flask, pages: PageServer, far: PageServer, farther: PageServer
) -> None:
    tag = _tag()
    (a,) = _targets(far, tag, "a")
    (z,) = _targets(farther, tag, "z")
    post = pages.add(f"/{tag}/post", post_page(a, z))
    db, settings = services(send_app).db, _settings(send_app)
    only = send_post(db, post, settings, target=a + "#comments")
    assert [p.target for p in only.targets] == [a]
    domain = send_post(db, post, settings, target_domain=farther.host)
    assert [p.target for p in domain.targets] == [z]
    with pytest.raises(SendRefused) as refused:
        send_post(db, post, settings, target=far.url(f"/{tag}/never-linked"))
    assert refused.value.code == "no_link_found"
    # A target linked before and since removed may still be named: the receiver must hear.
    pages.add(f"/{tag}/post", post_page(z))
    removed = send_post(db, post, settings, target=a)
    assert [(p.target, p.linked) for p in removed.targets] == [(a, False)]


def test_a_source_that_is_not_html_or_not_a_url_is_refused(
    send_app: Flask, pages: PageServer
) -> None:
    db, settings = services(send_app).db, _settings(send_app)
    feed = pages.add(f"/{_tag()}/post.json", "{}", headers={"Content-Type": "application/json"})
    with pytest.raises(SendRefused) as not_html:
        send_post(db, feed, settings)
    assert not_html.value.code == "source_not_html"
    with pytest.raises(SendRefused) as invalid:
        send_post(db, "ftp://127.0.0.1/post", settings)
    assert invalid.value.code == "invalid_parameter"


def test_a_dry_run_discovers_endpoints_and_sends_nothing(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    tag = _tag()
    (a,) = _targets(far, tag, "a")
    bare = far.add(f"/{tag}/bare", **target_page())  # type: ignore[arg-type]
    post = pages.add(f"/{tag}/post", post_page(a, bare))
    plan = send_post(services(send_app).db, post, _settings(send_app), dry_run=True)
    assert [(p.target, p.protocol, p.endpoint) for p in plan.targets] == [
        (a, "webmention", far.url(f"/{tag}/wm")),
        (bare, None, None),
    ]
    assert plan.targets[1].problem
    assert far.posted(f"/{tag}/wm") == []
    with services(send_app).db.session() as session:
        assert store.for_source(session, post) == []


@pytest.mark.integration
def test_updates_and_deletes_on_postgresql(
    send_app_postgres: Flask, pages: PageServer, far: PageServer
) -> None:
    """The same plan on PostgreSQL: its upsert (ON CONFLICT) keeps one row per pair."""
    app, tag = send_app_postgres, _tag()
    a, b = _targets(far, tag, "a", "b")
    post = pages.add(f"/{tag}/post", post_page(a, b))
    queued: list[int] = []
    send_post(services(app).db, post, _settings(app), enqueue=queued.append)
    pages.add(f"/{tag}/post", post_page(a))
    again = send_post(services(app).db, post, _settings(app), enqueue=queued.append)
    assert [(p.target, p.linked) for p in again.targets] == [(a, True), (b, False)]
    pages.add(f"/{tag}/post", "gone", status=410)
    gone = send_post(services(app).db, post, _settings(app), enqueue=queued.append)
    assert [(p.target, p.linked) for p in gone.targets] == [(a, False), (b, False)]
    assert len(set(queued)) == 2  # one row per pair, sent three times
    assert _deliver_all(app, queued[-2:]) == [ACCEPTED, ACCEPTED]
