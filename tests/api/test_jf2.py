"""A stored mention in webmention.io's shapes: the jf2 child and the older `links` entry."""

from __future__ import annotations

from datetime import datetime

import pytest

from pingsvc.api import jf2
from pingsvc.models import APPROVED, HELD, Mention
from pingsvc.urls import target_key

TARGET = "https://blog.example/post/1"


def stored(**fields: object) -> Mention:
    values: dict[str, object] = {
        "id": 7,
        "site_id": 1,
        "source": "https://alice.example/notes/1",
        "source_host": "alice.example",
        "target": TARGET,
        "target_key": target_key(TARGET),
        "protocol": "webmention",
        "status": APPROVED,
        "received_at": datetime(2024, 3, 5, 9, 13, 27, 918273),
        "updated_at": datetime(2024, 3, 5, 9, 13, 29),
        "verified_at": datetime(2024, 3, 5, 9, 13, 29),
        "property": "in-reply-to",
        "url": "https://alice.example/notes/1",
        "author_name": "Alice Example",
        "author_url": "https://alice.example/",
        "author_photo": "https://alice.example/me.jpg",
        "content_html": "Great post, <b>Bob</b>!",
        "content_text": "Great post, Bob!",
        "published": "2024-03-05T10:12:00+01:00",
        "extra": {"syndication": [], "canonical": None, "site_name": None},
    }
    values.update(fields)
    return Mention(**values)


def test_wm_received_is_utc_to_the_second_with_a_z() -> None:
    assert jf2.entry(stored())["wm-received"] == "2024-03-05T09:13:27Z"


def test_a_reply_names_the_target_under_its_property() -> None:
    child = jf2.entry(stored())
    assert child["in-reply-to"] == TARGET and child["wm-property"] == "in-reply-to"
    assert child["content"] == {"html": "Great post, <b>Bob</b>!", "text": "Great post, Bob!"}
    assert child["wm-private"] is False and "wm-held" not in child


def test_an_rsvp_carries_its_value_and_in_reply_to() -> None:
    child = jf2.entry(stored(property="rsvp", rsvp="interested"))
    assert (child["wm-property"], child["rsvp"], child["in-reply-to"]) == (
        "rsvp",
        "interested",
        TARGET,
    )
    assert jf2.type_key(stored(property="rsvp", rsvp="interested")) == "rsvp-interested"


@pytest.mark.parametrize(
    ("prop", "rsvp", "key"),
    [
        ("in-reply-to", None, "reply"),
        ("like-of", None, "like"),
        ("repost-of", None, "repost"),
        ("bookmark-of", None, "bookmark"),
        ("mention-of", None, "mention"),
        (None, None, "mention"),
        ("rsvp", "yes", "rsvp-yes"),
        ("rsvp", "no", "rsvp-no"),
        ("rsvp", "maybe", "rsvp-maybe"),
        ("rsvp", None, "rsvp"),
    ],
)
def test_count_type_keys_are_webmention_ios(prop: str | None, rsvp: str | None, key: str) -> None:
    assert jf2.type_key_for(prop, rsvp) == key


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "data:text/html,x", "/relative"])
def test_url_falls_back_to_the_source_and_is_always_http(url: str | None) -> None:
    assert jf2.entry(stored(url=url))["url"] == "https://alice.example/notes/1"
    assert jf2.link(stored(url=url))["data"]["url"] == "https://alice.example/notes/1"


def test_unsafe_author_links_are_left_empty() -> None:
    author = jf2.entry(stored(author_url="javascript:x", author_photo="data:x"))["author"]
    assert author == {"type": "card", "name": "Alice Example", "photo": None, "url": ""}


def test_an_author_without_a_photo_has_photo_null_as_webmention_io_gives() -> None:
    author = jf2.entry(stored(author_photo=None))["author"]
    assert author["photo"] is None and author["name"] == "Alice Example"


@pytest.mark.parametrize(
    ("name", "text", "title"),
    [
        ("Notes on webmentions", "I wrote about this.", "Notes on webmentions"),
        ("Great post, Bob!", "Great post, Bob!", None),
        ("Great post,  Bob!", "Great post, Bob!\n", None),
        ("Great post, B...", "Great post, Bob!", None),
        ("Great post, B…", "Great post, Bob!", None),
        ("A title", None, "A title"),
        ("   ", "text", None),
        (None, "text", None),
    ],
)
def test_name_only_for_real_titles(name: str | None, text: str | None, title: str | None) -> None:
    assert jf2.real_title(name, text) == title
    child = jf2.entry(stored(name=name, content_text=text))
    assert child.get("name") == title


def test_a_held_mention_is_flagged() -> None:
    assert jf2.entry(stored(status=HELD))["wm-held"] is True
    assert jf2.link(stored(status=HELD))["held"] is True


def test_a_parent_is_named_only_when_visible() -> None:
    assert jf2.entry(stored(parent_id=3))["wm-parent-id"] == 3
    assert "wm-parent-id" not in jf2.entry(stored(parent_id=3), parent_visible=False)


def test_links_entry_has_webmention_ios_older_fields() -> None:
    link = jf2.link(stored())
    assert link["source"] == "https://alice.example/notes/1" and link["target"] == TARGET
    assert link["verified"] is True and link["private"] is False and link["id"] == 7
    assert link["verified_date"] == "2024-03-05T09:13:29Z"
    assert link["data"]["published_ts"] == 1709629920
    assert link["data"]["content"] == "Great post, <b>Bob</b>!"
    assert link["data"]["name"] is None
    assert link["activity"]["type"] == "reply"
    assert link["activity"]["sentence"] == f"Alice Example commented on {TARGET}"
    assert link["activity"]["sentence_html"].startswith('<a href="https://alice.example/">')
    assert jf2.link(stored(property="mention-of"))["activity"]["type"] == "link"


def test_sentence_html_escapes_what_the_page_said() -> None:
    _, html = jf2.sentence(stored(author_name='<img src=x onerror="alert(1)">'))
    assert "<img" not in html and "&lt;img" in html


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2024-03-05T10:12:00+01:00", datetime(2024, 3, 5, 9, 12)),
        ("2024-03-05T10:12:00Z", datetime(2024, 3, 5, 10, 12)),
        ("2024-03-05T10:12:00", datetime(2024, 3, 5, 10, 12)),
        ("2024-03-05", datetime(2024, 3, 5)),
        ("not a date", None),
        (None, None),
    ],
)
def test_published_is_compared_in_utc(value: str | None, utc: datetime | None) -> None:
    assert jf2.published_datetime(value) == utc


def test_a_mention_with_only_text_has_content_text_alone() -> None:
    child = jf2.entry(stored(content_html=None, content_text="Just text"))
    assert child["content"] == {"text": "Just text"}
    assert "content" not in jf2.entry(stored(content_html=None, content_text=None))


def test_stored_syndication_and_canonical_urls_are_checked_again_on_the_way_out() -> None:
    hostile = {
        "syndication": ["javascript:alert(1)", "https://social.example/1"],
        "canonical": "javascript:alert(2)",
    }
    item = jf2.entry(stored(extra=hostile))
    assert item["syndication"] == ["https://social.example/1"]
    assert "rels" not in item
    assert "rels" not in jf2.link(stored(extra=hostile))
