"""import_records() over the sample files: what is stored, what the read API then shows,
and that importing again changes nothing (or adds only what is new)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.models import Mention, Site
from pingsvc.portability import webmention_io
from pingsvc.portability.importer import ImportFormatError, ImportRefused, import_records
from tests.portability.helpers import (
    FILES,
    LINKS_POST,
    WM_POST,
    WP_POST,
    WP_SECOND,
    import_webmention_io,
    import_wordpress,
)


def _rows(app: Flask) -> dict[str, Mention]:
    with services(app).db.session() as session:
        return {m.origin_id or "": m for m in session.scalars(select(Mention))}


def _count(app: Flask) -> int:
    with services(app).db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Mention)) or 0)


def _jf2(client: FlaskClient, target: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/mentions.jf2?target={target}&sort-dir=up")
    assert response.status_code == 200
    children: list[dict[str, Any]] = response.get_json()["children"]
    return children


def test_a_jf2_page_is_stored_with_its_received_times_and_shown_by_the_api(
    app: Flask, client: FlaskClient
) -> None:
    report = import_webmention_io(app, "webmention-io-feed.jf2")
    assert report.summary() == "imported 5, updated 0, skipped 0"
    rows = _rows(app)
    assert rows["720002"].received_at == datetime(2020, 1, 8, 11, 22, 33)
    assert rows["720002"].status == "approved"
    assert rows["720002"].origin_format == "webmention-io"
    shown = _jf2(client, WM_POST)
    # The private reply is not public; the others in received order, with pingsvc's own ids.
    assert [c["wm-property"] for c in shown] == [
        "in-reply-to",
        "like-of",
        "repost-of",
        "mention-of",
    ]
    assert [c["wm-received"] for c in shown] == [
        "2020-01-07T15:10:00Z",
        "2020-01-08T11:22:33Z",
        "2020-01-09T20:01:00Z",
        "2020-01-10T14:05:06Z",
    ]
    assert {c["wm-id"] for c in shown} == {
        rows[i].id for i in ("720001", "720002", "720003", "720004")
    }
    mention = shown[-1]
    assert mention["author"]["name"] == "Frank"
    assert mention["published"] == "2020-01-10T09:00:00-05:00"
    assert mention["name"] == "Thoughts on the new year"


def test_html_content_is_sanitized_as_received_mentions_are(app: Flask) -> None:
    import_webmention_io(app, "webmention-io-feed.jf2", "webmention-io-links.json")
    rows = _rows(app)
    html = rows["720004"].content_html or ""
    assert "<em>thoughts</em>" in html and "iframe" not in html and "onclick" not in html
    roundup = rows["610004"].content_html or ""
    assert "<strong>worth</strong>" in roundup
    assert "script" not in roundup and "javascript:" not in roundup and "onerror" not in roundup
    assert rows["610004"].content_text and "worth reading" in rows["610004"].content_text


def test_the_links_page_keeps_types_and_verified_dates(app: Flask, client: FlaskClient) -> None:
    import_webmention_io(app, "webmention-io-links.json")
    response = client.get(f"/api/mentions.json?target={LINKS_POST}&sort-dir=up")
    links = response.get_json()["links"]
    assert [link["activity"]["type"] for link in links] == ["reply", "like", "repost", "link"]
    assert [link["verified_date"] for link in links] == [
        "2019-05-02T10:11:12Z",
        "2019-05-03T08:00:00Z",
        "2019-05-04T09:30:00Z",
        "2019-05-05T18:45:30Z",
    ]


def test_the_same_file_twice_changes_nothing(app: Flask) -> None:
    first = import_webmention_io(app, "webmention-io-links.json", "webmention-io-feed.jf2")
    assert first.summary() == "imported 10, updated 0, skipped 0"
    before = {k: (m.id, m.updated_at) for k, m in _rows(app).items()}
    again = import_webmention_io(app, "webmention-io-links.json", "webmention-io-feed.jf2")
    assert again.summary() == "imported 0, updated 0, skipped 10 (already imported)"
    assert {k: (m.id, m.updated_at) for k, m in _rows(app).items()} == before


def test_a_later_export_with_more_mentions_adds_only_the_new_ones(app: Flask) -> None:
    import_webmention_io(app, "webmention-io-feed.jf2")
    before = {k: m.id for k, m in _rows(app).items()}
    later = import_webmention_io(app, "webmention-io-feed-later.jf2")
    assert later.summary() == "imported 2, updated 0, skipped 5 (already imported)"
    after = {k: m.id for k, m in _rows(app).items()}
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"720005", "720006"}
    assert _rows(app)["720006"].property == "bookmark-of"


def test_several_pages_in_one_call(app: Flask) -> None:
    report = import_webmention_io(app, "webmention-io-feed.jf2", "webmention-io-feed-page2.jf2")
    assert report.imported == 7


def test_a_changed_entry_is_updated_but_keeps_the_owners_decision(
    app: Flask, tmp_path: Path
) -> None:
    import_webmention_io(app, "webmention-io-feed.jf2")
    with services(app).db.session() as session:
        liked = session.scalar(select(Mention).where(Mention.origin_id == "720002"))
        assert liked is not None
        liked.status = "deleted"  # the owner deleted it in pingsvc
        session.commit()
    edited = (FILES / "webmention-io-feed.jf2").read_text().replace('"Heidi"', '"Heidi H."')
    page = tmp_path / "edited.jf2"
    page.write_text(edited)
    report = import_records(services(app).db, webmention_io.read(page), site_host="blog.example")
    assert report.summary() == "imported 0, updated 1, skipped 4 (already imported)"
    row = _rows(app)["720002"]
    assert (row.author_name, row.status) == ("Heidi H.", "deleted")


def test_a_malformed_file_stores_nothing_of_its_batch(app: Flask) -> None:
    with pytest.raises(ImportFormatError, match="line 17"):
        import_webmention_io(app, "webmention-io-malformed.jf2")
    assert _count(app) == 0


def test_batches_before_the_bad_one_stay_and_the_error_says_what_they_stored(
    app: Flask,
) -> None:
    with pytest.raises(ImportFormatError) as raised:
        import_webmention_io(
            app, "webmention-io-feed.jf2", "webmention-io-malformed.jf2", batch_size=4
        )
    # The first batch (four of the first page) was committed; the second held the first
    # page's last entry and the malformed page's good first one: none of it is stored.
    assert _count(app) == 4
    assert raised.value.report is not None and raised.value.report.imported == 4


def test_a_target_on_another_site_is_skipped_with_the_reason(app: Flask, tmp_path: Path) -> None:
    page = tmp_path / "mixed.jf2"
    page.write_text(
        (FILES / "webmention-io-feed.jf2")
        .read_text()
        .replace(
            '"wm-target": "https://blog.example/2020/01/new-year/",\n      "repost-of"',
            '"wm-target": "https://elsewhere.example/post",\n      "repost-of"',
        )
    )
    report = import_records(services(app).db, webmention_io.read(page), site_host="blog.example")
    assert report.summary() == "imported 4, updated 0, skipped 1 (target not on blog.example)"


def test_a_missing_site_is_registered_unless_told_not_to(app: Flask, tmp_path: Path) -> None:
    records = webmention_io.read(FILES / "webmention-io-feed.jf2")
    with pytest.raises(ImportRefused, match="pingsvc site add new.example"):
        import_records(services(app).db, records, site_host="new.example", create_site=False)
    page = tmp_path / "new.jf2"
    page.write_text((FILES / "webmention-io-feed.jf2").read_text().replace("blog.", "new."))
    report = import_records(services(app).db, webmention_io.read(page), site_host="new.example")
    assert report.imported == 5
    with services(app).db.session() as session:
        assert session.scalar(select(Site).where(Site.host == "new.example")) is not None


def test_wordpress_comments_are_threaded_replies_in_their_states(
    app: Flask, client: FlaskClient
) -> None:
    report = import_wordpress(app)
    assert report.summary() == "imported 12, updated 0, skipped 0"
    rows = _rows(app)
    assert {k: rows[k].status for k in ("101", "103", "104", "105")} == {
        "101": "approved",
        "103": "held",
        "104": "rejected",
        "105": "deleted",
    }
    assert rows["102"].parent_id == rows["101"].id
    assert rows["103"].parent_id == rows["102"].id
    assert rows["202"].parent_id == rows["201"].id
    shown = {c["wm-source"]: c for c in _jf2(client, WP_POST)}
    assert set(shown) == {
        "https://blog.example/2019/04/hello/#comment-101",
        "https://blog.example/2019/04/hello/#comment-102",
        "https://pinger.example/2019/05/link-to-hello/",
        "https://tracker.example/tb/1",
        "https://wm-old.example/replies/1",
    }
    first = shown["https://blog.example/2019/04/hello/#comment-101"]
    assert first["in-reply-to"] == WP_POST and first["wm-property"] == "in-reply-to"
    assert first["author"]["name"] == "Alice Ames"
    assert first["author"]["url"] == "https://alice.example/"
    assert first["content"]["text"] == "First!\n\nReally enjoyed this & the pictures."
    assert first["wm-received"] == "2019-05-01T08:00:00Z"
    assert first["published"] == "2019-05-01T08:00:00+00:00"
    assert first["wm-protocol"] == "comment"
    reply = shown["https://blog.example/2019/04/hello/#comment-102"]
    assert reply["wm-parent-id"] == rows["101"].id
    assert shown["https://tracker.example/tb/1"]["wm-protocol"] == "trackback"
    second = {c["wm-source"]: c for c in _jf2(client, WP_SECOND)}
    assert second["https://wm-new.example/likes/4"]["wm-property"] == "like-of"
    assert "https://held-pinger.example/post" not in second


def test_the_same_wxr_twice_changes_nothing(app: Flask) -> None:
    import_wordpress(app)
    before = {k: (m.id, m.parent_id, m.updated_at) for k, m in _rows(app).items()}
    again = import_wordpress(app)
    assert again.summary() == "imported 0, updated 0, skipped 12 (already imported)"
    assert {k: (m.id, m.parent_id, m.updated_at) for k, m in _rows(app).items()} == before


def test_a_reply_that_comes_before_its_parent_is_threaded_at_the_end(app: Flask) -> None:
    import_wordpress(app, batch_size=1)  # every comment in a batch of its own
    rows = _rows(app)
    assert rows["103"].parent_id == rows["102"].id


def test_imported_mentions_are_not_queued_nor_due_for_reverification(app: Flask) -> None:
    from pingsvc.pipeline.sweep import pending_ids, stale_ids

    import_wordpress(app)
    import_webmention_io(app, "webmention-io-feed.jf2")
    assert all(m.queued_at is None and m.verified_at is None for m in _rows(app).values())
    assert pending_ids(services(app).db, older_than=0) == []
    assert stale_ids(services(app).db, older_than_days=0) == []


def test_importing_twice_on_postgresql_changes_nothing(production_app: Flask) -> None:
    first = import_wordpress(production_app)
    assert first.summary() == "imported 12, updated 0, skipped 0"
    import_webmention_io(production_app, "webmention-io-feed.jf2")
    rows = _rows(production_app)
    assert rows["103"].parent_id == rows["102"].id
    again = import_wordpress(production_app)
    assert again.summary() == "imported 0, updated 0, skipped 12 (already imported)"
    later = import_webmention_io(production_app, "webmention-io-feed-later.jf2")
    assert later.summary() == "imported 2, updated 0, skipped 5 (already imported)"


def test_the_reverification_sweep_never_takes_a_comment(app: Flask) -> None:
    from pingsvc.pipeline.sweep import stale_ids

    import_wordpress(app)
    rows = _rows(app)
    with services(app).db.session() as session:
        for origin in ("101", "106"):  # as if verified long ago (with --verify)
            mention = session.get(Mention, rows[origin].id)
            assert mention is not None
            mention.verified_at = datetime(2020, 1, 1)
        session.commit()
    assert stale_ids(services(app).db, older_than_days=1) == [rows["106"].id]


def test_a_mention_verified_here_keeps_what_its_page_said(app: Flask, tmp_path: Path) -> None:
    import_webmention_io(app, "webmention-io-feed.jf2")
    with services(app).db.session() as session:
        reply = session.scalar(select(Mention).where(Mention.origin_id == "720001"))
        assert reply is not None
        reply.content_text = "What the page says now"
        reply.verified_at = datetime(2026, 1, 1)  # a --verify verification ran
        session.commit()
    again = import_webmention_io(app, "webmention-io-feed.jf2")
    assert again.summary() == "imported 0, updated 0, skipped 5 (already imported)"
    assert _rows(app)["720001"].content_text == "What the page says now"
