"""How stored mentions of one post relate: replies to replies (threads) and the same post sent
from two URLs (an original and its syndicated copy), found through hashed mention_link rows.

The pipeline calls `relate` when it stores a verified mention and `release` when one is
deleted. Everything here stays within one target: the widget and the API show one post's
mentions, so a parent or an original elsewhere would never be shown next to it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pingsvc.extract import MentionData
from pingsvc.models import APPROVED, HELD, REJECTED, Mention, MentionLink, utcnow
from pingsvc.urls import target_key

SELF, REPLY = "self", "reply"
DUPLICATE = "duplicate"  # Mention.error_kind of a copy that is not shown
# Fragments that name a mention shown on the target page: #comment-12, #mention-12, #wm-12.
_ANCHOR = re.compile(r"^(?:comment|mention|webmention|wm)-(\d{1,9})$")


def key(url: str) -> str | None:
    """The index key of a URL: scheme, trailing slash and fragment don't matter."""
    try:
        return hashlib.sha256(target_key(url.strip()).encode()).hexdigest()[:40]
    except ValueError:
        return None


def _is_page(url: str | None) -> bool:
    """True for a URL that can name one post: not a site's home page, which a careless
    rel=canonical or u-syndication often points at."""
    return bool(url) and urlsplit(url).path.strip("/") != ""  # type: ignore[arg-type]


def self_urls(mention: Mention, data: MentionData) -> set[str]:
    urls = {mention.source, data.url or mention.source}
    urls.update(u for u in [data.canonical, *data.syndication] if u and _is_page(u))
    return urls


def _keys(urls: set[str] | list[str]) -> set[str]:
    return {k for k in (key(u) for u in urls) if k}


def _record(session: Session, mention: Mention, data: MentionData) -> tuple[set[str], set[str]]:
    """Replace the mention's link rows; returns its (self, reply) keys."""
    mine = _keys(self_urls(mention, data))
    replies = _keys(data.in_reply_to) - mine
    session.execute(delete(MentionLink).where(MentionLink.mention_id == mention.id))
    session.add_all(MentionLink(mention_id=mention.id, kind=SELF, key=k) for k in mine)
    session.add_all(MentionLink(mention_id=mention.id, kind=REPLY, key=k) for k in replies)
    return mine, replies


def _linked(session: Session, mention: Mention, kind: str, keys: set[str]) -> list[Mention]:
    """Other mentions of the same post with a `kind` link among `keys`, oldest first."""
    if not keys:
        return []
    ids = select(MentionLink.mention_id).where(MentionLink.kind == kind, MentionLink.key.in_(keys))
    return list(
        session.scalars(
            select(Mention)
            .where(Mention.id.in_(ids), Mention.id != mention.id)
            .where(Mention.site_id == mention.site_id, Mention.target_key == mention.target_key)
            .order_by(Mention.id)
        )
    )


def _anchored_parent(session: Session, mention: Mention, data: MentionData) -> int | None:
    """A reply to `target#comment-12` is threaded under mention 12 of the same post."""
    for url in data.in_reply_to:
        _, _, fragment = url.partition("#")
        match = _ANCHOR.match(fragment)
        if not match or key(url) != key(mention.target):
            continue
        parent = session.get(Mention, int(match.group(1)))
        if (
            parent is not None
            and parent.id != mention.id
            and (parent.site_id, parent.target_key) == (mention.site_id, mention.target_key)
        ):
            return parent.id
    return None


def _is_copy(copy: Mention, copy_data: dict[str, object], original: Mention) -> bool:
    """True when `copy` says it is `original`'s copy, or `original` lists it as one."""
    originals = {key(original.source), key(original.url or original.source)}
    canonical = copy_data.get("canonical")
    if isinstance(canonical, str) and key(canonical) in originals:
        return key(canonical) not in {key(copy.source), key(copy.url or copy.source)}
    copies = {key(copy.source), key(copy.url or copy.source)}
    syndication = (original.extra or {}).get("syndication") or []
    return any(key(u) in copies for u in syndication if isinstance(u, str))


def _mark_duplicate(copy: Mention, original: Mention) -> None:
    copy.status, copy.error_kind = REJECTED, DUPLICATE
    copy.error = (
        f"the same post as mention {original.id} ({original.url or original.source}), "
        "which is shown instead"
    )
    copy.duplicate_of_id = original.id
    copy.changed = True


def relate(session: Session, mention: Mention, data: MentionData) -> None:
    """Thread `mention` and settle duplicates, after its fields and verdict are set: its
    parent, replies that arrived before it, and which of it and a copy of it is shown."""
    mine, replies = _record(session, mention, data)
    parents = [m for m in _linked(session, mention, SELF, replies) if m.duplicate_of_id is None]
    mention.parent_id = _anchored_parent(session, mention, data) or (
        parents[0].id if parents else None
    )
    mention.duplicate_of_id = None
    for other in _linked(session, mention, SELF, mine):
        if other.status not in (APPROVED, HELD) or other.id == mention.parent_id:
            continue
        if _is_copy(mention, {"canonical": data.canonical}, other):
            _mark_duplicate(mention, other)
            break
        if _is_copy(other, other.extra or {}, mention) or other.id > mention.id:
            _mark_duplicate(other, mention)  # keep the original, or else the older one
            _move_children(session, other, mention)
        else:
            _mark_duplicate(mention, other)
            break
    target = mention.duplicate_of_id or mention.id
    children = select(MentionLink.mention_id).where(
        MentionLink.kind == REPLY, MentionLink.key.in_(mine)
    )
    session.execute(
        update(Mention)
        .where(Mention.id.in_(children), Mention.id != target, Mention.parent_id.is_(None))
        .where(Mention.site_id == mention.site_id, Mention.target_key == mention.target_key)
        .values(parent_id=target)
    )


def _move_children(session: Session, old: Mention, new: Mention) -> None:
    session.execute(
        update(Mention)
        .where(Mention.parent_id == old.id, Mention.id != new.id)
        .values(parent_id=new.id)
    )


def release(session: Session, mention: Mention) -> None:
    """`mention` is no longer shown (deleted): its copies are verified again so one of them
    shows instead. A queue mark a day old is taken by the sweeper's next pass."""
    session.execute(
        update(Mention)
        .where(Mention.duplicate_of_id == mention.id, Mention.queued_at.is_(None))
        .values(queued_at=utcnow() - timedelta(days=1))
    )
