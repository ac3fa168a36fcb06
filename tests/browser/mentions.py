"""Mentions for widget tests, stored straight through the models (as the pipeline leaves
them, or as a hostile row would sit in the database)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import APPROVED, Mention, Site
from pingsvc.urls import host_of, target_key

_serial = itertools.count(1)
# Fixed receive times, so ordering never depends on the clock: each mention one hour apart.
EPOCH = datetime(2026, 1, 1, 12, 0, 0)


def add_mention(app: Flask, target: str, **fields: Any) -> int:
    """Store one mention of `target` (approved reply unless told) and return its id."""
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
            "published": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "extra": {"site_name": site_name} if site_name else {},
        }
        values.update(fields)
        mention = Mention(**values)
        session.add(mention)
        session.commit()
        return mention.id
