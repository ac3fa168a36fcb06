"""The readers: webmention.io's two API shapes and WordPress's WXR as Records, and the
errors that name where a malformed file goes wrong. Pure: no database."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from pingsvc.portability import formats, webmention_io, wordpress
from pingsvc.portability.importer import ImportFormatError
from tests.portability.helpers import FILES


def _wp() -> dict[str, wordpress.Record]:
    return {r.origin_id: r for r in wordpress.read_files([FILES / "wordpress.xml"])}


def test_links_page_maps_activity_types_dates_authors_and_ids() -> None:
    records = list(webmention_io.read(FILES / "webmention-io-links.json"))
    assert [(r.origin_id, r.property) for r in records] == [
        ("610001", "in-reply-to"),
        ("610002", "like-of"),
        ("610003", "repost-of"),
        ("610004", "mention-of"),  # activity.type "link"
        ("610005", "in-reply-to"),
    ]
    reply = records[0]
    assert reply.origin_format == "webmention-io"
    assert reply.received_at == datetime(2019, 5, 2, 10, 11, 12)  # verified_date, in UTC
    assert reply.published == "2019-05-02T12:11:00+02:00"
    assert (reply.author_name, reply.author_url) == ("Alice Ames", "https://alice.example/")
    assert reply.content_html is not None and "Great post!" in reply.content_html
    assert [r.private for r in records] == [False, False, False, False, True]


def test_jf2_page_maps_properties_received_times_and_private() -> None:
    records = list(webmention_io.read(FILES / "webmention-io-feed.jf2"))
    assert [(r.origin_id, r.property, r.private) for r in records] == [
        ("720004", "mention-of", False),
        ("720003", "repost-of", False),
        ("720002", "like-of", False),
        ("720001", "in-reply-to", False),
        ("720000", "in-reply-to", True),
    ]
    mention = records[0]
    assert mention.received_at == datetime(2020, 1, 10, 14, 5, 6)  # wm-received
    assert mention.name == "Thoughts on the new year"
    assert mention.author_photo == "https://webmention.io/avatar/frank.example/9c1d.jpg"
    assert mention.where == "webmention-io-feed.jf2 line 5"


def test_the_two_shapes_of_one_mention_read_alike(tmp_path: Path) -> None:
    """The same RSVP as /api/mentions.jf2 and /api/mentions `links` give the same Record but
    for what only jf2 carries (summary, updated); `links` reads neither from its data."""
    post = {
        "url": "https://ann.example/rsvp", "name": "Going", "published": "2021-02-03T04:05:06Z",
        "content": {"html": "<p>Yes!</p>", "text": "Yes!"}, "rsvp": "yes",
        "author": {"name": "Ann", "url": "https://ann.example/", "photo": "https://ann.example/a.jpg"},
        "summary": {"value": "Ann is going"}, "updated": "2021-02-04T00:00:00Z",
    }  # fmt: skip
    jf2 = {"children": [{
        "wm-id": 9, "wm-source": "https://ann.example/rsvp", "wm-target": "https://blog.example/e",
        "wm-received": "2021-02-03T05:00:00Z", "wm-property": "rsvp", "wm-private": True, **post,
    }]}  # fmt: skip
    links = {"links": [{
        "id": 9, "source": "https://ann.example/rsvp", "target": "https://blog.example/e",
        "verified_date": "2021-02-03T05:00:00Z", "private": True,
        "activity": {"type": "rsvp"}, "data": post,
    }]}  # fmt: skip
    (tmp_path / "page.jf2").write_text(json.dumps(jf2))
    (tmp_path / "page.json").write_text(json.dumps(links))
    (from_jf2,) = webmention_io.read(tmp_path / "page.jf2")
    (from_links,) = webmention_io.read(tmp_path / "page.json")
    assert (from_jf2.summary, from_jf2.updated) == ("Ann is going", "2021-02-04T00:00:00Z")
    assert (from_links.summary, from_links.updated) == (None, None)
    assert (from_links.property, from_links.rsvp, from_links.private) == ("rsvp", "yes", True)
    assert from_links.author_photo == "https://ann.example/a.jpg"
    assert from_links.content_text == "Yes!"
    same = {"summary": None, "updated": None, "where": from_links.where}
    assert dataclasses.replace(from_jf2, **same) == from_links


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "webmention-io-malformed.jf2",
            "webmention-io-malformed.jf2 line 17 column 7: not valid JSON (Expecting ',' "
            "delimiter).",
        ),
        (
            "webmention-io-missing-source.json",
            "webmention-io-missing-source.json line 13: the entry has no 'source'.",
        ),
    ],
)
def test_a_malformed_webmention_io_page_names_its_line(name: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as raised:
        list(webmention_io.read(FILES / name))
    assert raised.value.message == message


def test_a_json_file_that_is_no_api_page_says_what_it_needs(tmp_path: Path) -> None:
    page = tmp_path / "other.json"
    page.write_text('{"items": [1, 2]}')
    with pytest.raises(ImportFormatError, match=r'no "links" list .* no "children" list'):
        list(webmention_io.read(page))


def test_wxr_comments_map_to_statuses_protocols_and_threads() -> None:
    by_id = _wp()
    assert {i: (r.status, r.protocol) for i, r in by_id.items()} == {
        "101": ("approved", "comment"),
        "102": ("approved", "comment"),
        "103": ("held", "comment"),
        "104": ("rejected", "comment"),  # spam
        "105": ("deleted", "comment"),  # trash
        "106": ("approved", "pingback"),
        "107": ("approved", "trackback"),
        "108": ("approved", "webmention"),
        "201": ("approved", "comment"),
        "202": ("approved", "comment"),
        "203": ("approved", "webmention"),
        "204": ("held", "pingback"),
    }
    assert [by_id[i].parent_origin_id for i in ("101", "102", "103", "105")] == [
        None,
        "101",
        "102",
        "101",
    ]
    comment = by_id["101"]
    assert comment.source == "https://blog.example/2019/04/hello/#comment-101"
    assert comment.target == "https://blog.example/2019/04/hello/"
    assert comment.property == "in-reply-to"
    assert comment.received_at == datetime(2019, 5, 1, 8, 0, 0)  # comment_date_gmt, not local
    assert comment.published == "2019-05-01T08:00:00+00:00"
    assert (comment.author_name, comment.author_url) == ("Alice Ames", "https://alice.example/")
    assert by_id["102"].author_url is None
    assert by_id["201"].target == "https://blog.example/2019/06/second/"


def test_pingbacks_trackbacks_and_webmention_plugin_comments_keep_their_source() -> None:
    by_id = _wp()
    assert by_id["106"].source == "https://pinger.example/2019/05/link-to-hello/"
    assert by_id["106"].content_text == "[…] as Hello said […]"
    assert by_id["107"].source == "https://tracker.example/tb/1"
    # Older Webmention plugin: webmention_source_url (and Semantic Linkbacks' type).
    old = by_id["108"]
    assert (old.source, old.property) == ("https://wm-old.example/replies/1", "in-reply-to")
    assert old.author_photo == "https://wm-old.example/me.jpg"
    # Newer: protocol + url, the kind of post in comment_type.
    new = by_id["203"]
    assert (new.source, new.property) == ("https://wm-new.example/likes/4", "like-of")


def test_no_e_mail_or_ip_address_of_a_commenter_is_kept() -> None:
    for record in _wp().values():
        assert "reader@mail.example" not in repr(record)
        assert "203.0.113.9" not in repr(record)


def test_malformed_xml_names_the_line_and_element() -> None:
    with pytest.raises(ImportFormatError) as raised:
        list(wordpress.read_files([FILES / "wordpress-malformed.xml"]))
    assert raised.value.message == (
        "wordpress-malformed.xml line 80 column 27: not well-formed XML (mismatched tag), "
        "in <wp:comment_parent>."
    )


def test_a_comment_without_its_id_names_the_line_and_element() -> None:
    with pytest.raises(ImportFormatError) as raised:
        list(wordpress.read_files([FILES / "wordpress-comment-without-id.xml"]))
    assert raised.value.message == (
        "wordpress-comment-without-id.xml line 257, element <wp:comment>: it has no <wp:comment_id>"
    )


def test_an_rss_feed_is_not_taken_for_a_wordpress_export(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><item><link>https://x.example/</link></item></channel></rss>'
    )
    with pytest.raises(ImportFormatError, match="no <wp:wxr_version>"):
        list(wordpress.read_files([feed]))


def test_a_wxr_with_entity_declarations_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel>&b;</channel></rss>'
    )
    with pytest.raises(ImportFormatError, match="refused"):
        list(wordpress.read_files([bomb]))


def test_detect_tells_the_formats_apart(tmp_path: Path) -> None:
    assert formats.detect(FILES / "webmention-io-links.json") == "webmention-io"
    assert formats.detect(FILES / "webmention-io-feed.jf2") == "webmention-io"
    assert formats.detect(FILES / "wordpress.xml") == "wordpress"
    export = tmp_path / "backup.jsonl"
    export.write_text('{"format": "pingsvc-export", "version": 1, "exported_at": "x"}\n{}\n')
    assert formats.detect(export) == "pingsvc"
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ImportFormatError, match="pass --format"):
        formats.detect(text)


def test_a_zero_gmt_date_falls_back_to_the_local_date(tmp_path: Path) -> None:
    text = (FILES / "wordpress.xml").read_text()
    text = text.replace("<![CDATA[2019-05-01 08:00:00]]></wp:comment_date_gmt>",
                        "<![CDATA[0000-00-00 00:00:00]]></wp:comment_date_gmt>", 1)  # fmt: skip
    export = tmp_path / "zero.xml"
    export.write_text(text)
    first = next(iter(wordpress.read_files([export])))
    assert first.received_at == datetime(2019, 5, 1, 10, 0, 0)  # comment_date, as it is


def test_an_unknown_approval_state_names_the_line_and_element(tmp_path: Path) -> None:
    text = (FILES / "wordpress.xml").read_text()
    export = tmp_path / "odd.xml"
    export.write_text(text.replace("<![CDATA[spam]]>", "<![CDATA[maybe]]>", 1))
    with pytest.raises(ImportFormatError) as raised:
        list(wordpress.read_files([export]))
    line = next(
        n
        for n, text in enumerate(export.read_text().splitlines(), 1)
        if "<![CDATA[maybe]]>" in text
    )
    assert raised.value.message == (
        f"odd.xml line {line}, element <wp:comment_approved>: comment 104: 'maybe' is none of "
        "1, 0, spam and trash"
    )
