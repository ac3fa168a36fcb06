"""The Atom feed a site's owner subscribes to, and the HTML page of mentions: valid documents,
safe to show, and as private as the JSON."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import DELETED, HELD, Site
from pingsvc.tokens import rotate
from tests.support.mentions import add, mention_row, site_id

ATOM = "{http://www.w3.org/2005/Atom}"
POST = "https://blog.example/post/1"
HOSTILE = '<p>Nice</p><script>alert("x")</script><img src="javascript:alert(1)" onerror="x()">'


def owner_token(app: Flask) -> str:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        token = rotate(site)
        session.commit()
    return token


def test_owner_atom_feed_lists_new_mentions_across_all_posts(
    app: Flask, client: FlaskClient
) -> None:
    sid = site_id(app)
    reply, like, held = add(
        app,
        mention_row(sid, POST, kind="reply", content_html=HOSTILE),
        mention_row(sid, "https://blog.example/post/2", kind="like"),
        mention_row(sid, POST, kind="reply", status=HELD, source="https://held.example/x"),
    )
    add(app, mention_row(sid, POST, status=DELETED, source="https://deleted.example/x"))
    token = owner_token(app)
    response = client.get(f"/api/mentions.atom?token={token}")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert response.headers["Cache-Control"] == "private, no-cache"
    body = response.get_data(as_text=True)
    assert token not in body  # the feed's id and self link never carry the token
    assert "deleted.example" not in body

    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Mentions of blog.example"
    assert feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry in entries:  # what RFC 4287 requires of every entry
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
        assert entry.findtext(f"{ATOM}updated") and entry.find(f"{ATOM}author") is not None
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert ids == [f"http://127.0.0.1:8080/webmention/status/{n}" for n in (held, like, reply)]
    contents = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}content") or "" for e in entries}
    reply_html = contents[f"http://127.0.0.1:8080/webmention/status/{reply}"]
    assert "<p>Nice</p>" in reply_html and "<script" not in reply_html
    assert "javascript:" not in reply_html and "onerror" not in reply_html
    assert "Held for moderation" in contents[f"http://127.0.0.1:8080/webmention/status/{held}"]


def test_public_atom_feed_of_a_post_shows_only_approved_mentions(
    app: Flask, client: FlaskClient
) -> None:
    sid = site_id(app)
    add(
        app,
        mention_row(sid, POST),
        mention_row(sid, POST, status=HELD, source="https://held.example/x"),
    )
    response = client.get(f"/api/mentions.atom?target={POST}")
    assert response.headers["Cache-Control"].startswith("public")
    assert len(ET.fromstring(response.data).findall(f"{ATOM}entry")) == 1
    assert b"held.example" not in response.data


def test_html_page_is_an_h_feed_with_content_made_safe(app: Flask, client: FlaskClient) -> None:
    sid = site_id(app)
    add(
        app,
        mention_row(sid, POST, kind="reply", content_html=HOSTILE, author_name="<b>Eve</b>"),
        mention_row(sid, POST, kind="mention", name="Notes on webmentions"),
    )
    response = client.get(f"/api/mentions.html?target={POST}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert page.count('class="h-entry"') == 2 and 'class="h-feed"' in page
    assert "<p>Nice</p>" in page and "<script>alert" not in page and "javascript:" not in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page  # an author's name is text, not markup
    assert "Notes on webmentions" in page and "2 mentions" in page
