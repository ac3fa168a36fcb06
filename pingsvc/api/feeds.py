"""The read API's documents for people and feed readers: Atom (a site's new mentions, for its
owner's feed reader) and an HTML page of mentions, both from the same rows as the JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import render_template
from markupsafe import escape

from pingsvc.api.jf2 import photo, real_title, sentence, type_key, utc_stamp
from pingsvc.models import HELD, Mention
from pingsvc.sanitize import clean_html, safe_url

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself. `feed_id` and `self_url` never carry the token."""

    title: str
    feed_id: str
    self_url: str
    alternate: str | None
    status_base: str
    updated: datetime | None


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def _body_html(mention: Mention) -> str:
    """The post's content made safe again for a reader (it was cleaned when stored; cleaning
    twice costs little and keeps this output safe on its own)."""
    _, said = sentence(mention)
    content = mention.content_html and clean_html(mention.content_html, mention.source)
    if not content and mention.content_text:
        content = str(escape(mention.content_text))
    held = (
        "<p><strong>Held for moderation</strong>: not public.</p>" if mention.status == HELD else ""
    )
    return f"{held}<p>{said}</p>" + (f"<blockquote>{content}</blockquote>" if content else "")


def _entry_title(mention: Mention) -> str:
    who = mention.author_name or mention.source_host or urlsplit(mention.source).netloc
    kind = type_key(mention).replace("-", " ")
    path = urlsplit(mention.target).path or "/"
    title = real_title(mention.name, mention.content_text)
    tail = f": {title}" if title else ""
    return f"{who} ({kind}) on {path}{tail}"


def atom(mentions: list[Mention], info: FeedInfo) -> bytes:
    """An Atom 1.0 feed of `mentions`, newest first as given."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", info.feed_id)
    _text(feed, "title", info.title)
    _text(feed, "updated", utc_stamp(info.updated) or "1970-01-01T00:00:00Z")
    _text(feed, "generator", "pingsvc")
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": info.self_url})
    if info.alternate:
        ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": info.alternate})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "pingsvc")
    for mention in mentions:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{info.status_base}/{mention.id}")
        _text(entry, "title", _entry_title(mention))
        _text(entry, "updated", utc_stamp(mention.updated_at) or "")
        _text(entry, "published", utc_stamp(mention.received_at) or "")
        url = safe_url(mention.url) or mention.source
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": url})
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "related", "href": mention.target})
        person = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(person, "name", mention.author_name or mention.source_host or url)
        author_url = safe_url(mention.author_url)
        if author_url:
            _text(person, "uri", author_url)
        _text(entry, "category", "", term=type_key(mention))
        _text(entry, "content", _body_html(mention), type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="utf-8", xml_declaration=False
    )


def html_page(mentions: list[Mention], title: str, total: int, next_url: str | None) -> bytes:
    """An h-feed page of the mentions (webmention.io's mentions.html)."""
    items = [
        {
            "mention": m,
            "url": safe_url(m.url) or m.source,
            "author_url": safe_url(m.author_url),
            "author_photo": photo(m),
            "title": real_title(m.name, m.content_text),
            "content": m.content_html and clean_html(m.content_html, m.source),
            "kind": type_key(m),
            "received": utc_stamp(m.received_at),
            "held": m.status == HELD,
        }
        for m in mentions
    ]
    page = render_template(
        "api/mentions.html", title=title, items=items, total=total, next_url=next_url
    )
    return page.encode("utf-8")
