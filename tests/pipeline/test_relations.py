"""Threads and duplicates: verified mentions stored by the pipeline, read back through the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.extract.entry import MentionData
from pingsvc.models import Mention, MentionLink
from pingsvc.pipeline import steps, sweep
from pingsvc.pipeline.relations import key, self_urls
from pingsvc.receive.accept import accept
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer

OTHER_TARGET = "https://blog.example/post/2"


def entry(body: str, *, head: str = "", author: str = "Alice") -> str:
    return (
        f"<!doctype html><html><head>{head}</head><body><article class='h-entry'>"
        f"<a class='p-author h-card' href='/'>{author}</a>{body}</article></body></html>"
    )


def reply_to(*urls: str, text: str = "Indeed.", head: str = "") -> str:
    links = "".join(f"<a class='u-in-reply-to' href='{u}'>re</a>" for u in urls)
    return entry(f"{links}<p class='e-content'>{text}</p>", head=head)


def submit(app: Flask, source: str, target: str = TARGET) -> int:
    return accept(services(app).db, source, target, "webmention", lambda _id: None).mention_id


def verify(app: Flask, source: str, target: str = TARGET) -> int:
    mention_id = submit(app, source, target)
    shared = services(app)
    steps.process_mention(shared.db, mention_id, shared.pipeline)
    return mention_id


def row(app: Flask, mention_id: int) -> Mention:
    with services(app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        return mention


def shown(app: Flask, target: str = TARGET) -> list[dict[str, Any]]:
    children = app.test_client().get(f"/api/mentions.jf2?target={target}").get_json()["children"]
    return sorted(children, key=lambda child: child["wm-id"])


def test_a_reply_to_another_mentions_source_is_threaded_under_it(
    app: Flask, pages: PageServer
) -> None:
    first = pages.add("/t1/first", reply_to(TARGET, text="First!"))
    parent = verify(app, first)
    child = verify(app, pages.add("/t1/second", reply_to(TARGET, first, text="Agreed.")))
    assert row(app, child).parent_id == parent
    by_id = {c["wm-id"]: c for c in shown(app)}
    assert by_id[child]["wm-parent-id"] == parent
    assert "wm-parent-id" not in by_id[parent]


def test_a_reply_that_arrives_before_its_parent_is_threaded_when_the_parent_comes(
    app: Flask, pages: PageServer
) -> None:
    parent_url = pages.add("/t2/parent", reply_to(TARGET, text="Original point."))
    child = verify(app, pages.add("/t2/child", reply_to(TARGET, parent_url + "/")))
    assert row(app, child).parent_id is None
    parent = verify(app, parent_url)
    assert row(app, child).parent_id == parent


def test_a_reply_to_a_comment_anchor_on_the_target_is_threaded_under_that_mention(
    app: Flask, pages: PageServer
) -> None:
    parent = verify(app, pages.add("/t3/comment", reply_to(TARGET, text="A comment.")))
    child = verify(app, pages.add("/t3/reply", reply_to(f"{TARGET}#comment-{parent}")))
    stored = row(app, child)
    assert (stored.parent_id, stored.property) == (parent, "in-reply-to")


def test_an_anchor_naming_a_mention_of_another_post_is_not_a_thread(
    app: Flask, pages: PageServer
) -> None:
    elsewhere = verify(app, pages.add("/t4/other", reply_to(OTHER_TARGET)), OTHER_TARGET)
    child = verify(app, pages.add("/t4/reply", reply_to(f"{TARGET}#comment-{elsewhere}")))
    assert row(app, child).status == "approved"
    assert row(app, child).parent_id is None


def original_and_copy(pages: PageServer, tag: str) -> tuple[str, str]:
    copy = pages.url(f"/{tag}/social/123")
    original = pages.add(
        f"/{tag}/post",
        entry(
            f"<p class='e-content'>Read <a href='{TARGET}'>this</a>.</p>"
            f"<a class='u-syndication' href='{copy}'>also on social</a>"
        ),
    )
    pages.add(
        f"/{tag}/social/123",
        entry(f"<p class='e-content'>Read <a href='{TARGET}'>this</a>.</p>", author="@alice"),
    )
    return original, copy


def test_a_syndicated_copy_sent_after_its_original_is_shown_once(
    app: Flask, pages: PageServer
) -> None:
    original, copy = original_and_copy(pages, "d1")
    kept = verify(app, original)
    duplicate = verify(app, copy)
    assert [c["wm-id"] for c in shown(app)] == [kept]
    stored = row(app, duplicate)
    assert (stored.status, stored.error_kind, stored.duplicate_of_id) == (
        "rejected",
        "duplicate",
        kept,
    )
    assert f"mention {kept}" in (stored.error or "")


def test_an_original_sent_after_its_syndicated_copy_replaces_it(
    app: Flask, pages: PageServer
) -> None:
    original, copy = original_and_copy(pages, "d2")
    first = verify(app, copy)
    assert [c["wm-id"] for c in shown(app)] == [first]
    kept = verify(app, original)
    assert [c["wm-id"] for c in shown(app)] == [kept]
    assert row(app, first).duplicate_of_id == kept


def test_a_page_whose_canonical_is_a_stored_mention_is_its_duplicate(
    app: Flask, pages: PageServer
) -> None:
    original = pages.add("/d3/post", reply_to(TARGET, text="Mine."))
    canonical = f"<link rel='canonical' href='{original}'>"
    mirror = pages.add("/d3/mirror", reply_to(TARGET, text="Mine.", head=canonical))
    kept = verify(app, original)
    duplicate = verify(app, mirror)
    assert row(app, duplicate).duplicate_of_id == kept
    assert [c["wm-id"] for c in shown(app)] == [kept]


def test_a_canonical_pointing_at_a_home_page_does_not_merge_different_posts(
    app: Flask, pages: PageServer
) -> None:
    careless = f"<link rel='canonical' href='{pages.url('/')}'>"
    one = verify(app, pages.add("/d4/one", entry(f"<a href='{TARGET}'>x</a>", head=careless)))
    two = verify(app, pages.add("/d4/two", entry(f"<a href='{TARGET}'>y</a>", head=careless)))
    assert [c["wm-id"] for c in shown(app)] == [one, two]


def test_when_the_shown_original_is_deleted_its_copy_is_verified_again_and_shown(
    app: Flask, pages: PageServer
) -> None:
    original, copy = original_and_copy(pages, "d5")
    kept = verify(app, original)
    duplicate = verify(app, copy)
    pages.add("/d5/post", "gone", status=410)
    verify(app, original)
    assert row(app, kept).status == "deleted"
    assert row(app, duplicate).queued_at is not None  # the sweeper's next pass takes it
    shared = services(app)
    assert duplicate in sweep.pending_ids(shared.db, older_than=60)
    steps.process_mention(shared.db, duplicate, shared.pipeline)
    assert [c["wm-id"] for c in shown(app)] == [duplicate]


def test_a_changed_post_type_updates_the_stored_mention_in_place(
    app: Flask, pages: PageServer
) -> None:
    url = pages.add("/u1/post", reply_to(TARGET, text="A reply at first."))
    mention_id = verify(app, url)
    pages.add("/u1/post", entry(f"<a class='u-like-of' href='{TARGET}'>liked</a>"))
    assert verify(app, url) == mention_id
    (child,) = shown(app)
    assert (child["wm-id"], child["wm-property"]) == (mention_id, "like-of")
    assert "content" not in child


def test_a_page_that_now_says_410_gone_in_a_meta_tag_disappears_from_the_api(
    app: Flask, pages: PageServer
) -> None:
    url = pages.add("/u2/post", reply_to(TARGET))
    mention_id = verify(app, url)
    pages.add(
        "/u2/post",
        "<html><head><meta content='410 Gone' http-equiv='Status'></head>"
        f"<body><p>Deleted. It replied to <a href='{TARGET}'>this</a>.</p></body></html>",
    )
    verify(app, url)
    assert row(app, mention_id).status == "deleted"
    assert shown(app) == []


def test_threads_and_duplicates_on_either_database(either_app: Flask, pages: PageServer) -> None:
    app = either_app
    run = services(app).db.dialect  # the session-wide page server needs paths per run
    original, copy = original_and_copy(pages, run)
    kept = verify(app, original)
    duplicate = verify(app, copy)
    child = verify(app, pages.add(f"/{run}/reply", reply_to(f"{TARGET}#mention-{kept}", copy)))
    assert row(app, duplicate).duplicate_of_id == kept
    assert row(app, child).parent_id == kept
    assert [c["wm-id"] for c in shown(app)] == [kept, child]


def test_the_summary_length_setting_reaches_extraction(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, pages: PageServer
) -> None:
    app = make_app({**settings, "PINGSVC_SUMMARY_LENGTH": "40"}, monkeypatch)
    try:
        words = "A reply long enough to need a summary of its own, cut on a word."
        mention_id = verify(app, pages.add("/s1/long", reply_to(TARGET, text=words)))
        assert row(app, mention_id).summary == "A reply long enough to need a summary…"
    finally:
        services(app).db.dispose()


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_summary_length_that_is_not_a_positive_number_is_refused_at_start(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(SystemExit, match="PINGSVC_SUMMARY_LENGTH"):
        make_app({**settings, "PINGSVC_SUMMARY_LENGTH": value}, monkeypatch)


def link_rows(app: Flask, mention_id: int) -> list[tuple[int, str, str]]:
    with services(app).db.session() as session:
        query = select(MentionLink.id, MentionLink.kind, MentionLink.key).where(
            MentionLink.mention_id == mention_id
        )
        return sorted(tuple(r) for r in session.execute(query))  # type: ignore[misc]


def test_link_rows_are_rewritten_only_when_the_post_links_elsewhere(
    app: Flask, pages: PageServer
) -> None:
    first = verify(app, pages.add("/l1/first", reply_to(TARGET, text="First.")))
    second = pages.url("/l1/second")
    url = pages.add("/l1/reply", reply_to(TARGET, text="To the post."))
    mention_id = verify(app, url)
    rows = link_rows(app, mention_id)
    assert [kind for _, kind, _ in rows].count("reply") == 0  # the target is no mention
    assert verify(app, url) == mention_id  # the same page again: the same rows, untouched
    assert link_rows(app, mention_id) == rows
    pages.add("/l1/reply", reply_to(TARGET, pages.url("/l1/first"), text="To the first."))
    verify(app, url)  # now a reply to the first mention: threaded, rows rewritten
    assert row(app, mention_id).parent_id == first
    assert [kind for _, kind, _ in link_rows(app, mention_id)].count("reply") == 1
    pages.add("/l1/second", reply_to(TARGET, text="Second."))
    parent = verify(app, second)
    pages.add("/l1/reply", reply_to(TARGET, second, text="To the second."))
    verify(app, url)
    assert row(app, mention_id).parent_id == parent


def test_a_copy_whose_original_is_rejected_is_shown_again_when_verified_again(
    app: Flask, pages: PageServer
) -> None:
    """Relations are settled at every verification, even when the page did not change."""
    original, copy = original_and_copy(pages, "l2")
    kept = verify(app, original)
    duplicate = verify(app, copy)
    assert row(app, duplicate).duplicate_of_id == kept
    pages.add("/l2/post", "<p>no link now</p>")
    verify(app, original)
    assert row(app, kept).status == "deleted"
    verify(app, copy)
    stored = row(app, duplicate)
    assert (stored.status, stored.duplicate_of_id, stored.error) == ("approved", None, None)
    assert [c["wm-id"] for c in shown(app)] == [duplicate]


def bare_reply(author: str, text: str) -> str:
    """A reply with no u-url whose only link is the target: mf2 implies the target as its
    url (a guestbook, a forum signature, a hand-written note)."""
    return (
        f"<!doctype html><html><body><div class='h-entry'><p class='p-name'>{text}</p>"
        f"<p>by <span class='p-author'>{author}</span>, <time class='dt-published'>"
        f"2024-03-05</time></p><a href='{TARGET}'>in reply to this post</a></div></body></html>"
    )


def test_replies_without_u_url_by_different_people_are_all_shown(
    app: Flask, pages: PageServer
) -> None:
    sources = [
        pages.add(f"/u1/{name}", bare_reply(name, f"{name} agrees with you."))
        for name in ("bob", "carol", "dan")
    ]
    ids = [verify(app, source) for source in sources]
    assert [(row(app, i).status, row(app, i).duplicate_of_id) for i in ids] == [
        ("approved", None)
    ] * 3
    children = shown(app)
    assert [c["wm-id"] for c in children] == ids
    assert [c["url"] for c in children] == sources  # the target is never a post's own url
    assert [c["author"]["name"] for c in children] == ["bob", "carol", "dan"]


def test_a_reply_to_the_target_is_not_threaded_under_a_reply_without_u_url(
    app: Flask, pages: PageServer
) -> None:
    bare = verify(app, pages.add("/u2/bare", bare_reply("bob", "Bob was here.")))
    proper = verify(app, pages.add("/u2/proper", reply_to(TARGET, text="A real reply.")))
    assert row(app, proper).parent_id is None
    assert [c["wm-id"] for c in shown(app)] == [bare, proper]


@pytest.mark.parametrize(
    "claimed",
    [
        "https://alice.example/2024/03/reply",  # someone else's host
        "https://blog.example/post/1#comment-3",  # the target itself
        "https://blog.example/tags/webmention",  # the target's site
    ],
)
def test_a_u_url_off_the_sources_host_does_not_make_two_posts_one(
    app: Flask, pages: PageServer, claimed: str
) -> None:
    tag = f"u3-{key(claimed)[:8]}"
    one, two = (
        verify(
            app,
            pages.add(
                f"/{tag}/{n}",
                entry(f"<a class='u-url' href='{claimed}'>#</a><p class='e-content'>"
                      f"{n} on <a href='{TARGET}'>this</a>.</p>", author=n),
            ),
        )
        for n in ("one", "two")
    )  # fmt: skip
    assert [(row(app, i).status, row(app, i).duplicate_of_id) for i in (one, two)] == [
        ("approved", None),
        ("approved", None),
    ]


def test_a_u_url_on_the_sources_own_host_still_names_the_post(
    app: Flask, pages: PageServer
) -> None:
    permalink = pages.url("/u4/post")
    body = entry(f"<a class='u-url' href='{permalink}'>#</a><p class='e-content'>On "
                 f"<a href='{TARGET}'>this</a>.</p>")  # fmt: skip
    kept = verify(app, pages.add("/u4/post", body))
    amp = verify(app, pages.add("/u4/post/amp", body))
    assert row(app, amp).duplicate_of_id == kept
    assert [c["wm-id"] for c in shown(app)] == [kept]


SOURCE = "https://alice.example/notes/1"


@pytest.mark.parametrize(
    ("url", "page_url", "names_it"),
    [
        ("https://alice.example/notes/1/", None, True),  # the source's own host
        ("https://alice.example/other", None, True),
        ("https://www.alice.example/notes/1", None, True),  # the same site
        ("https://social.example/@alice/1", None, False),  # anyone can write that
        (TARGET, None, False),  # mf2's implied url of a reply whose only link is the target
        ("https://blog.example/post/1#comment-12", None, False),
        ("https://blog.example/about", None, False),  # the target's site
        ("https://www.blog.example/about", None, False),
        ("https://new.example/notes/1", "https://new.example/notes/1", True),  # redirected
        ("https://new.example/notes/2", "https://new.example/notes/1", True),
    ],
)
def test_which_urls_name_the_subjects_post(url: str, page_url: str | None, names_it: bool) -> None:
    urls = self_urls(SOURCE, TARGET, MentionData(url=url, page_url=page_url))
    assert (key(url) in {key(u) for u in urls}) is names_it
    assert SOURCE in urls


def test_a_source_on_the_targets_site_names_itself_by_its_urls_there() -> None:
    source = "https://blog.example/post/7"  # the author's own later post
    urls = self_urls(source, TARGET, MentionData(url="https://blog.example/post/7/"))
    assert {key(u) for u in urls} == {key(source)}
    assert self_urls(source, TARGET, MentionData(url=TARGET)) == {source}
