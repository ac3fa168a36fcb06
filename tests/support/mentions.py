"""Mention rows as the pipeline stores them, inserted straight through the app's database
session: the read API's, the widget's and the dashboard's tests need verified mentions
without fetching anything (and the widget's, hostile rows as they would sit in the
database)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import APPROVED, Mention, Site
from pingsvc.urls import host_of, normalize_url, target_key

BASE_TIME = datetime(2024, 3, 5, 10, 0, 0)
# add_mention's fixed receive times, so ordering never depends on the clock: an hour apart.
EPOCH = datetime(2026, 1, 1, 12, 0, 0)
_serial = itertools.count(1)

# What extraction stores for the common kinds of post (see pingsvc.pipeline.store._apply).
KINDS: dict[str, dict[str, Any]] = {
    "reply": {
        "property": "in-reply-to",
        "content_html": "Great post, <b>Bob</b>!",
        "content_text": "Great post, Bob!",
    },
    "like": {"property": "like-of"},
    "repost": {"property": "repost-of"},
    "bookmark": {"property": "bookmark-of", "name": "A reading list"},
    "mention": {
        "property": "mention-of",
        "name": "Notes on webmentions",
        "content_html": "<p>I wrote about <a href='https://blog.example/post/1'>this</a>.</p>",
        "content_text": "I wrote about this.",
        "summary": "I wrote about this.",
    },
    "rsvp-yes": {"property": "rsvp", "rsvp": "yes", "content_text": "I'll be there"},
    "rsvp-no": {"property": "rsvp", "rsvp": "no", "content_text": "Can't make it"},
    "rsvp-maybe": {"property": "rsvp", "rsvp": "maybe"},
}


def site_id(app: Flask, host: str = "blog.example") -> int:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        if site is None:
            site = Site(host=host)
            session.add(site)
            session.commit()
        return site.id


def mention_row(
    site: int,
    target: str = "https://blog.example/post/1",
    *,
    kind: str = "reply",
    status: str = APPROVED,
    received: datetime | None = None,
    source: str | None = None,
    **fields: Any,
) -> Mention:
    """A verified Mention as the pipeline stores it; `fields` override any column."""
    n = next(_serial)
    target = normalize_url(target, "target")
    source = source or f"https://alice{n % 7}.example/notes/{n}"
    received = received or BASE_TIME + timedelta(minutes=n)
    values: dict[str, Any] = {
        "site_id": site,
        "source": source,
        "source_host": urlsplit(source).hostname or "",
        "target": target,
        "target_key": target_key(target),
        "protocol": "webmention",
        "status": status,
        "received_at": received,
        "updated_at": received,
        "verified_at": received,
        "url": source,
        "author_name": f"Alice {n}",
        "author_url": f"https://alice{n % 7}.example/",
        "author_photo": f"https://alice{n % 7}.example/photo.jpg",
        "published": (received - timedelta(hours=1)).isoformat() + "+00:00",
        "extra": {"syndication": [], "canonical": None, "site_name": None},
        **KINDS[kind],
    }
    values.update(fields)
    if "avatar_key" not in fields:  # verification archives the photo (pingsvc.avatars)
        photo = values["author_photo"]
        values["avatar_key"] = hashlib.sha256(photo.encode()).hexdigest()[:40] if photo else None
    return Mention(**values)


def add(app: Flask, *rows: Mention) -> list[int]:
    """Insert `rows` and return their ids (wm-id)."""
    with services(app).db.session() as session:
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def add_many(app: Flask, count: int, target: str = "https://blog.example/post/1") -> list[int]:
    """`count` approved replies, one a second apart, in one transaction."""
    sid = site_id(app)
    start = BASE_TIME + timedelta(days=30)
    rows = [
        mention_row(
            sid,
            target,
            received=start + timedelta(seconds=i),
            source=f"https://bulk.example/{target_key(target)}/{i}",
        )
        for i in range(count)
    ]
    return add(app, *rows)


def update(app: Flask, mention_id: int, **values: Any) -> None:
    """Change a stored mention as a verdict or a moderator does (the ORM bumps updated_at)."""
    with services(app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        for name, value in values.items():
            setattr(mention, name, value)
        session.commit()


def add_mention(app: Flask, target: str, **fields: Any) -> int:
    """Store one verified mention of `target` (an approved reply unless told otherwise), its
    site registered on the way if need be, and return its id; `fields` override any column,
    `site_name` goes into extra."""
    n = next(_serial)
    source = fields.pop("source", f"https://author{n}.example/posts/{n}")
    site_name = fields.pop("site_name", None)
    with services(app).db.session() as session:
        host = host_of(target)
        site = session.scalar(select(Site).where(Site.host == host))
        if site is None:
            site = Site(host=host)
            session.add(site)
            session.flush()
        received = fields.pop("received_at", EPOCH + timedelta(hours=n))
        values: dict[str, Any] = {
            "site_id": site.id,
            "source": source,
            "source_host": host_of(source) if source.startswith("http") else "",
            "target": target,
            "target_key": target_key(target),
            "status": APPROVED,
            "property": "in-reply-to",
            "url": source,
            "author_name": f"Author {n}",
            "author_url": f"https://author{n}.example/",
            "content_text": f"Reply number {n}.",
            "received_at": received,
            "verified_at": received,
            "published": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "extra": {"site_name": site_name} if site_name else {},
        }
        values.update(fields)
        mention = Mention(**values)
        session.add(mention)
        session.commit()
        return mention.id
