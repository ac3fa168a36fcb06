"""A stored mention in webmention.io's two API shapes: a jf2 child and a `links` entry.

Shared by the read API, the feeds and the webhooks, so every consumer sees the same fields.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from markupsafe import escape

from pingsvc.avatars import links as avatar_links
from pingsvc.avatars.links import AvatarLinks
from pingsvc.models import HELD, Mention
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
WM_PROPERTIES = tuple(PROPERTY_TYPES)
RSVP_VALUES = ("yes", "no", "maybe", "interested")
# The `links` shape's activity.type: webmention.io calls a plain mention a "link".
_ACTIVITY_TYPES = {**PROPERTY_TYPES, "mention-of": "link"}
_VERBS = {
    "reply": "commented on",
    "like": "liked",
    "repost": "reposted",
    "bookmark": "bookmarked",
    "mention": "mentioned",
}
_SPACES = re.compile(r"\s+")
_ELLIPSES = ("...", "…")


def _http_url(value: Any) -> str | None:
    """Stored URLs are checked again on the way out: only http(s) reaches an href."""
    return safe_url(value) if isinstance(value, str) else None


def utc_stamp(moment: datetime | None) -> str | None:
    """UTC as YYYY-MM-DDTHH:MM:SSZ, the exact form webmention.io clients paste into since=."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def wm_property(mention: Mention) -> str:
    """The mention's wm-property; anything unknown counts as a plain mention."""
    prop = mention.property or "mention-of"
    return prop if prop in PROPERTY_TYPES else "mention-of"


def type_key(mention: Mention) -> str:
    """count.json's key: reply, like, ..., and rsvp-yes / rsvp-no / ... for RSVPs."""
    return type_key_for(mention.property, mention.rsvp)


def type_key_for(prop: str | None, rsvp: str | None) -> str:
    """type_key() over the two stored columns (the count query groups by them)."""
    if prop == "rsvp":
        return f"rsvp-{rsvp}" if rsvp in RSVP_VALUES else "rsvp"
    return PROPERTY_TYPES.get(prop or "mention-of", "mention")


def _flat(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def real_title(name: str | None, content_text: str | None) -> str | None:
    """`name` when it is a title of its own; None when it only repeats the content (an implied
    name), because widgets show `name` in place of the reply's text when it is present."""
    title = _flat(name)
    if not title:
        return None
    text = _flat(content_text)
    if not text:
        return title
    stem = title
    for ellipsis in _ELLIPSES:
        stem = stem.removesuffix(ellipsis).rstrip()
    if text == title or (stem and text.startswith(stem)):
        return None
    return title


def published_datetime(value: str | None) -> datetime | None:
    """A stored `published` (ISO 8601, any offset, maybe date only) as naive UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _url(mention: Mention) -> str:
    # Never null and always http(s): widgets split it to show the sender's host.
    return safe_url(mention.url) or mention.source


def _content(mention: Mention) -> dict[str, str] | None:
    if mention.content_html:
        return {"html": mention.content_html, "text": mention.content_text or ""}
    if mention.content_text:
        return {"text": mention.content_text}
    return None


def photo(mention: Mention, avatars: AvatarLinks | None = None) -> str | None:
    """The author's photo as readers load it: the archive's signed URL (pingsvc.avatars),
    never the sender's own host; null without an archived avatar (none given, or not
    archived yet). The original URL stays in the stored author_photo and extra."""
    links = avatars or avatar_links.current()
    if links is None or not mention.avatar_key:
        return None
    return links.url(mention.avatar_key)


def entry(
    mention: Mention, *, parent_visible: bool = True, avatars: AvatarLinks | None = None
) -> dict[str, Any]:
    """One jf2 child, as webmention.io serves it; a held one (only the owner is shown those)
    carries `wm-held`. `avatars` signs the photo's URL (by default the app in context's)."""
    item: dict[str, Any] = {
        "type": "entry",
        "author": {
            "type": "card",
            "name": mention.author_name or "",
            "photo": photo(mention, avatars),  # null without one, as webmention.io
            "url": safe_url(mention.author_url) or "",
        },
        "url": _url(mention),
        "published": mention.published,
        "wm-received": utc_stamp(mention.received_at),
        "wm-id": mention.id,
        "wm-source": mention.source,
        "wm-target": mention.target,
        "wm-protocol": mention.protocol,
    }
    title = real_title(mention.name, mention.content_text)
    if title:
        item["name"] = title
    content = _content(mention)
    if content:
        item["content"] = content
    if mention.summary:
        item["summary"] = {"content-type": "text/plain", "value": mention.summary}
    if mention.updated:
        item["updated"] = mention.updated
    extra = mention.extra or {}
    if isinstance(extra.get("syndication"), list):  # as webmention.io: present once parsed
        item["syndication"] = [u for u in map(_http_url, extra["syndication"]) if u]
    prop = wm_property(mention)
    if prop == "rsvp":
        item["rsvp"] = mention.rsvp
        item["in-reply-to"] = mention.target
    else:
        item[prop] = mention.target
    item["wm-property"] = prop
    item["wm-private"] = bool(mention.private)  # only the owner is shown private ones
    if extra.get("site_name"):
        item["wm-site-name"] = extra["site_name"]
    canonical = _http_url(extra.get("canonical"))
    if canonical:
        item["rels"] = {"canonical": canonical}
    if mention.parent_id and parent_visible:
        item["wm-parent-id"] = mention.parent_id
    if mention.status == HELD:
        item["wm-held"] = True
    return item


def _activity_type(mention: Mention) -> str:
    return _ACTIVITY_TYPES[wm_property(mention)]


def sentence(mention: Mention) -> tuple[str, str]:
    """webmention.io's activity sentence, as text and as HTML (the Jekyll plugin shows the
    HTML one for likes and reposts)."""
    who = _flat(mention.author_name) or (mention.source_host or "someone")
    kind = type_key(mention)
    if kind.startswith("rsvp"):
        verb = f"RSVPed {kind.removeprefix('rsvp-')} to" if "-" in kind else "RSVPed to"
    else:
        verb = _VERBS.get(kind, "mentioned")
    text = f"{who} {verb} {mention.target}"
    author_url = safe_url(mention.author_url) or _url(mention)
    html = (
        f'<a href="{escape(author_url)}">{escape(who)}</a> {escape(verb)} '
        f'<a href="{escape(mention.target)}">{escape(mention.target)}</a>'
    )
    return text, html


def link(mention: Mention) -> dict[str, Any]:
    """One entry of /api/mentions.json's `links` list, webmention.io's older shape."""
    data: dict[str, Any] = {}
    if mention.author_name or mention.author_url or mention.author_photo:
        data["author"] = {
            "name": mention.author_name or "",
            "url": safe_url(mention.author_url),
            "photo": photo(mention),
        }
    published = published_datetime(mention.published)
    data["url"] = _url(mention)
    data["name"] = real_title(mention.name, mention.content_text)
    data["content"] = mention.content_html or mention.content_text or None
    data["published"] = mention.published
    data["published_ts"] = int(published.replace(tzinfo=UTC).timestamp()) if published else None
    if wm_property(mention) == "rsvp" and mention.rsvp:
        data["rsvp"] = mention.rsvp
    text, html = sentence(mention)
    item: dict[str, Any] = {
        "source": mention.source,
        "verified": True,
        # An imported mention pingsvc never verified: the date it was verified where it
        # came from, which the import kept as its received time.
        "verified_date": utc_stamp(
            mention.verified_at
            or (mention.received_at if mention.origin_format else mention.updated_at)
        ),
        "id": mention.id,
        "private": bool(mention.private),
        "data": data,
        "activity": {"type": _activity_type(mention), "sentence": text, "sentence_html": html},
    }
    canonical = _http_url((mention.extra or {}).get("canonical"))
    if canonical:
        item["rels"] = {"canonical": canonical}
    item["target"] = mention.target
    if mention.status == HELD:
        item["held"] = True
    return item


def feed(children: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The jf2 feed around the children; `extra` adds paging fields such as total and next."""
    return {"type": "feed", "name": "Webmentions", "children": children, **extra}
