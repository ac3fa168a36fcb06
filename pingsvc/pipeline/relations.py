"""How stored mentions of one post relate: replies to replies (threads) and the same post sent
from two URLs (an original and its syndicated copy), found through hashed mention_link rows.

pipeline.store calls `relate` when it stores a verified mention and `release` when one is
deleted. Everything here stays within one target: the widget and the API show one post's
mentions, so a parent or an original elsewhere would never be shown next to it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from pingsvc.models import APPROVED, HELD, REJECTED, Mention, MentionLink, utcnow
from pingsvc.urls import target_key

if TYPE_CHECKING:  # a type only: the receiving views read DUPLICATE without loading mf2py
    from pingsvc.extract.entry import MentionData

SELF, REPLY = "self", "reply"
DUPLICATE = "duplicate"  # Mention.error_kind of a copy that is not shown
# Fragments that name a mention shown on the target page: #comment-12, #mention-12, #wm-12.
_ANCHOR = re.compile(r"^(?:comment|mention|webmention|wm)-(\d{1,9})$")

_links = cast(Table, MentionLink.__table__)
_mentions = cast(Table, Mention.__table__)


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


def _host(url: str) -> str:
    """The site a URL is on: its host, with or without www. (one site serves both)."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def self_urls(source: str, target: str, data: MentionData) -> set[str]:
    """The URLs that name the subject's post: its source and the page it was read from
    (the source after redirects); the post's url only when it is on one of their hosts, as
    anyone can write someone else's URL in u-url; a canonical or syndication copy. Never
    the target, nor a URL on the target's site unless the source is there too: mf2 implies
    a url from an entry's only link, which for a short reply is the target, and replies by
    different people would then be "the same post"."""
    page = data.page_url or source
    own_hosts = {_host(source), _host(page)}
    urls = {source, page}
    if data.url and _host(data.url) in own_hosts:
        urls.add(data.url)
    urls.update(u for u in [data.canonical, *data.syndication] if u and _is_page(u))
    target_key_ = key(target)
    target_host = _host(target)
    return {
        u
        for u in urls
        if key(u) != target_key_ and (_host(u) != target_host or target_host in own_hosts)
    }


def _keys(urls: set[str] | list[str]) -> set[str]:
    return {k for k in (key(u) for u in urls) if k}


@dataclass(frozen=True)
class Subject:
    """The mention being stored: the columns that place it among its post's mentions."""

    id: int
    site_id: int
    target: str
    target_key: str
    source: str


@dataclass
class Post:
    """A stored mention as threads and duplicates compare them."""

    id: int
    source: str
    url: str | None
    extra: dict[str, Any]
    status: str | None = None
    duplicate_of_id: int | None = None
    parent_id: int | None = None
    self_keys: set[str] = field(default_factory=set)  # its "self" keys among those asked
    replies_to_it: bool = False  # one of its "reply" keys is the subject's


@dataclass(frozen=True)
class Placement:
    """Where `relate` puts the subject: under a parent, and whether it is a copy not shown."""

    parent_id: int | None
    duplicate_of: Post | None = None
    # Other mentions whose shown entry this placement changed (copies no longer shown,
    # replies given a parent): the change feed records them with the subject.
    moved: tuple[int, ...] = ()

    @property
    def error(self) -> str | None:
        original = self.duplicate_of
        if original is None:
            return None
        return (
            f"the same post as mention {original.id} ({original.url or original.source}), "
            "which is shown instead"
        )


# Built once: the subject's own link rows, and the other mentions of the same post whose
# "self" key is one of the subject's self or reply keys (a copy, a parent) or whose "reply"
# key is one of its self keys (a child). The first condition alone picks index rows.
_LINKED = (
    select(
        _links.c.mention_id,
        _links.c.kind,
        _links.c.key,
        _mentions.c.source,
        _mentions.c.url,
        _mentions.c.extra,
        _mentions.c.status,
        _mentions.c.duplicate_of_id,
        _mentions.c.parent_id,
    )
    .join_from(_links, _mentions, _mentions.c.id == _links.c.mention_id)
    .where(
        or_(
            _links.c.mention_id == bindparam("mention_id"),
            and_(_links.c.kind == SELF, _links.c.key.in_(bindparam("related", expanding=True))),
            and_(_links.c.kind == REPLY, _links.c.key.in_(bindparam("mine", expanding=True))),
        ),
        or_(
            _links.c.mention_id == bindparam("mention_id"),
            and_(
                _mentions.c.site_id == bindparam("site_id"),
                _mentions.c.target_key == bindparam("target_key"),
            ),
        ),
    )
    .order_by(_links.c.mention_id, _links.c.kind, _links.c.key)
)
_INSERT_LINK = insert(MentionLink)
_DELETE_LINKS = delete(MentionLink).where(MentionLink.mention_id == bindparam("mention_id"))


def _linked(
    conn: Connection, subject: Subject, mine: set[str], replies: set[str]
) -> tuple[list[tuple[str, str]], list[Post]]:
    """The subject's own (kind, key) rows, and the other mentions linked to it, oldest first."""
    rows = conn.execute(
        _LINKED,
        {
            "mention_id": subject.id,
            "site_id": subject.site_id,
            "target_key": subject.target_key,
            "related": sorted(mine | replies),
            "mine": sorted(mine),
        },
    )
    own: list[tuple[str, str]] = []
    others: dict[int, Post] = {}
    for mention_id, kind, link_key, source, url, extra, status, duplicate_of_id, parent in rows:
        if mention_id == subject.id:
            own.append((kind, link_key))
            continue
        other = others.get(mention_id)
        if other is None:
            other = others[mention_id] = Post(
                mention_id, source, url, extra or {}, status, duplicate_of_id, parent
            )
        if kind == SELF:
            other.self_keys.add(link_key)
        elif link_key in mine:
            other.replies_to_it = True
    return own, list(others.values())


def _record(
    conn: Connection, subject: Subject, own: list[tuple[str, str]], wanted: list[tuple[str, str]]
) -> None:
    """Replace the subject's link rows, when they are not already the ones it needs."""
    if own == wanted:
        return
    if own:
        conn.execute(_DELETE_LINKS, {"mention_id": subject.id})
    if wanted:
        conn.execute(
            _INSERT_LINK, [{"mention_id": subject.id, "kind": k, "key": v} for k, v in wanted]
        )


def _anchored_parent(conn: Connection, subject: Subject, data: MentionData) -> int | None:
    """A reply to `target#comment-12` is threaded under mention 12 of the same post."""
    for url in data.in_reply_to:
        _, _, fragment = url.partition("#")
        match = _ANCHOR.match(fragment)
        if not match or key(url) != key(subject.target):
            continue
        parent_id = int(match.group(1))
        found = conn.execute(
            select(_mentions.c.id).where(
                _mentions.c.id == parent_id,
                _mentions.c.id != subject.id,
                _mentions.c.site_id == subject.site_id,
                _mentions.c.target_key == subject.target_key,
            )
        ).first()
        if found is not None:
            return parent_id
    return None


def _is_copy(copy: Post, copy_data: dict[str, object], original: Post) -> bool:
    """True when `copy` says it is `original`'s copy, or `original` lists it as one."""
    originals = {key(original.source), key(original.url or original.source)}
    canonical = copy_data.get("canonical")
    if isinstance(canonical, str) and key(canonical) in originals:
        return key(canonical) not in {key(copy.source), key(copy.url or copy.source)}
    copies = {key(copy.source), key(copy.url or copy.source)}
    syndication = (original.extra or {}).get("syndication") or []
    return any(key(u) in copies for u in syndication if isinstance(u, str))


def _mark_duplicate(conn: Connection, copy: Post, original: Post) -> None:
    """Another stored mention turns out to be a copy of the subject: it is no longer shown."""
    conn.execute(
        update(Mention)
        .where(Mention.id == copy.id)
        .values(
            status=REJECTED,
            error_kind=DUPLICATE,
            error=Placement(None, original).error,
            duplicate_of_id=original.id,
            changed=True,
            # It was shown: its webhooks hear it is gone. A mark a day old is taken by the
            # sweeper's next pass (the verdict's own notification is for the original).
            notify_queued_at=func.coalesce(Mention.notify_queued_at, utcnow() - timedelta(days=1)),
        )
    )


def relate(
    conn: Connection, subject: Subject, data: MentionData, extra: dict[str, Any]
) -> Placement:
    """Thread the subject and settle duplicates, in its verdict's transaction: its parent,
    replies that arrived before it, and which of it and a copy of it is shown. Writes the
    other mentions this changes; the caller writes the subject's own row from the answer."""
    mine = _keys(self_urls(subject.source, subject.target, data))
    # A reply to the target itself is no reply to another mention (target#comment-12 is
    # threaded by its anchor).
    replies = _keys(data.in_reply_to) - mine - {key(subject.target)}
    own, others = _linked(conn, subject, mine, replies)
    wanted = sorted([(REPLY, k) for k in replies] + [(SELF, k) for k in mine])
    _record(conn, subject, own, wanted)
    parents = [p for p in others if p.self_keys & replies and p.duplicate_of_id is None]
    parent_id = _anchored_parent(conn, subject, data) or (parents[0].id if parents else None)
    me = Post(subject.id, subject.source, data.url or subject.source, extra)
    duplicate_of = None
    moved: list[int] = []
    for other in (p for p in others if p.self_keys & mine):
        if other.status not in (APPROVED, HELD) or other.id == parent_id:
            continue
        if _is_copy(me, {"canonical": data.canonical}, other):
            duplicate_of = other
            break
        if _is_copy(other, other.extra, me) or other.id > me.id:
            _mark_duplicate(conn, other, me)  # keep the original, or else the older one
            _move_children(conn, other.id, me.id)
            moved.append(other.id)  # its replies, now the subject's, are recorded with it
        else:
            duplicate_of = other
            break
    shown = duplicate_of.id if duplicate_of else subject.id
    children = [p.id for p in others if p.replies_to_it and p.parent_id is None and p.id != shown]
    if children:  # replies that arrived before it
        conn.execute(
            update(Mention)
            .where(Mention.id.in_(children), Mention.parent_id.is_(None))
            .values(parent_id=shown)
        )
        moved += children
    return Placement(parent_id, duplicate_of, tuple(moved))


def _move_children(conn: Connection, old: int, new: int) -> None:
    conn.execute(
        update(Mention).where(Mention.parent_id == old, Mention.id != new).values(parent_id=new)
    )


def release(conn: Connection, mention_id: int) -> None:
    """The mention is no longer shown (deleted): its copies are verified again so one of them
    shows instead. A queue mark a day old is taken by the sweeper's next pass."""
    conn.execute(
        update(Mention)
        .where(Mention.duplicate_of_id == mention_id, Mention.queued_at.is_(None))
        .values(queued_at=utcnow() - timedelta(days=1))
    )
