"""A stored mention as a jf2 entry, in webmention.io's shape (shared by API, feeds, webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingsvc.models import Mention
from pingsvc.sanitize import safe_url

# webmention.io's wm-property values and the count.json keys for them.
PROPERTY_TYPES = {
    "in-reply-to": "reply",
    "like-of": "like",
    "repost-of": "repost",
    "bookmark-of": "bookmark",
    "mention-of": "mention",
    "rsvp": "rsvp",
}


def utc_stamp(moment: datetime | None) -> str | None:
    """UTC as YYYY-MM-DDTHH:MM:SSZ, the exact form webmention.io clients paste into since=."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def type_key(mention: Mention) -> str:
    """count.json's key: reply, like, ..., and rsvp-yes / rsvp-no / ... for RSVPs."""
    if mention.property == "rsvp" and mention.rsvp:
        return f"rsvp-{mention.rsvp}"
    return PROPERTY_TYPES.get(mention.property or "mention-of", "mention")


def entry(mention: Mention) -> dict[str, Any]:
    """One jf2 child, as webmention.io serves it."""
    item: dict[str, Any] = {
        "type": "entry",
        "author": {
            "type": "card",
            "name": mention.author_name or "",
            "photo": safe_url(mention.author_photo) or "",
            "url": safe_url(mention.author_url) or "",
        },
        "url": safe_url(mention.url) or mention.source,
        "published": mention.published,
        "wm-received": utc_stamp(mention.received_at),
        "wm-id": mention.id,
        "wm-source": mention.source,
        "wm-target": mention.target,
        "wm-protocol": mention.protocol,
    }
    if mention.name:
        item["name"] = mention.name
    if mention.content_html or mention.content_text:
        item["content"] = {
            "html": mention.content_html or "",
            "text": mention.content_text or "",
        }
    if mention.summary:
        item["summary"] = {"content-type": "text/plain", "value": mention.summary}
    if mention.updated:
        item["updated"] = mention.updated
    prop = mention.property or "mention-of"
    if prop == "rsvp":
        item["rsvp"] = mention.rsvp
        item["in-reply-to"] = mention.target
    else:
        item[prop] = mention.target
    item["wm-property"] = prop
    item["wm-private"] = False
    extra = mention.extra or {}
    if extra.get("site_name"):
        item["wm-site-name"] = extra["site_name"]
    if extra.get("syndication"):
        item["syndication"] = extra["syndication"]
    if extra.get("canonical"):
        item["rels"] = {"canonical": extra["canonical"]}
    if mention.parent_id:
        item["wm-parent-id"] = mention.parent_id
    if mention.status == "held":
        item["wm-held"] = True
    return item


def feed(children: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "feed", "name": "Webmentions", "children": children, **extra}
