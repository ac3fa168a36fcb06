"""What the read API may show and in which order: scope, visibility, filters, paging, counts,
and the version stamp that ETags and the response cache are keyed on."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from pingsvc.api.jf2 import published_datetime, type_key_for
from pingsvc.api.params import Query
from pingsvc.errors import PingError
from pingsvc.models import APPROVED, HELD, Mention, Site
from pingsvc.tokens import site_for_token

# sort-by=rsvp, newest-first ("down") order: yes first, no last, as webmention.io does.
_RSVP_RANK = {"yes": 0, "maybe": 1, "interested": 2, "no": 3}
# Fetch rows by id in chunks this big (SQLite's bound-parameter limit is far above it).
_CHUNK = 5_000


class Unauthorized(PingError):
    """A token that opens nothing: 401, and the answer says how to get a good one."""

    status = 401
    code = "invalid_token"


@dataclass(frozen=True)
class Scope:
    """Which rows a request reads: some targets' rows, or a whole site's. `owner_site_id` is
    the site whose token came with the request: its held mentions are shown too."""

    target_keys: tuple[str, ...] = ()
    site_id: int | None = None
    site_host: str | None = None
    owner_site_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        if self.site_id is not None:
            return [Mention.site_id == self.site_id]
        return [Mention.target_key.in_(self.target_keys)]

    def visible(self) -> ColumnElement[bool]:
        """Approved mentions for everyone; held and private ones too for the site's owner.
        Never pending, rejected or deleted ones."""
        public = and_(Mention.status == APPROVED, Mention.private.is_(False))
        if self.owner_site_id is None:
            return public
        return or_(
            public,
            and_(Mention.status.in_((APPROVED, HELD)), Mention.site_id == self.owner_site_id),
        )


def resolve(session: Session, query: Query) -> Scope:
    """The Scope a request may read; raises Unauthorized for tokens that don't fit."""
    site: Site | None = None
    if query.token is not None:
        site = site_for_token(session, query.token)
        if site is None:
            raise Unauthorized(
                "The token is not valid (it may have been replaced). Copy the current one, or "
                "make a new one with `pingsvc site token HOST`."
            )
    if query.targets:
        return Scope(target_keys=query.target_keys, owner_site_id=site.id if site else None)
    assert site is not None  # parse_mentions/parse_count require a token without targets
    if query.domain is not None and query.domain != site.host:
        raise Unauthorized(
            f"This token belongs to {site.host}, not {query.domain}.", code="token_mismatch"
        )
    return Scope(site_id=site.id, site_host=site.host, owner_site_id=site.id)


@dataclass(frozen=True)
class Stamp:
    """Changes whenever any row in the scope changes (a verdict, a moderation, a new or
    removed mention): max(updated_at) catches updates, count and max(id) catch inserts and
    deletes. One indexed aggregate, so no process has to tell the others what changed."""

    count: int
    last_updated: datetime | None
    max_id: int | None

    def token(self) -> str:
        updated = self.last_updated.isoformat() if self.last_updated else "-"
        return f"{self.count}:{updated}:{self.max_id}"


def stamp(session: Session, scope: Scope) -> Stamp:
    row = session.execute(
        select(func.count(), func.max(Mention.updated_at), func.max(Mention.id)).where(
            *scope.where()
        )
    ).one()
    return Stamp(int(row[0]), row[1], row[2])


def _filters(scope: Scope, query: Query) -> list[ColumnElement[bool]]:
    conditions = [*scope.where(), scope.visible()]
    if query.since is not None:
        bound, inclusive = query.since.lower_bound()
        conditions.append(
            Mention.received_at >= bound if inclusive else Mention.received_at > bound
        )
    if query.since_id is not None:
        conditions.append(Mention.id > query.since_id)
    if query.properties:
        wanted: ColumnElement[bool] = Mention.property.in_(query.properties)
        if "mention-of" in query.properties:
            wanted = or_(wanted, Mention.property.is_(None))
        conditions.append(wanted)
    return conditions


@dataclass
class Found:
    """One page of mentions, the total over all pages, and which parents may be named."""

    total: int
    mentions: list[Mention]
    visible_parents: set[int]


def _sql_order(query: Query) -> list[Any]:
    column = Mention.updated_at if query.sort_by == "updated" else Mention.received_at
    if query.sort_dir == "up":
        return [column.asc(), Mention.id.asc()]
    return [column.desc(), Mention.id.desc()]


def _python_order(session: Session, conditions: list[Any], query: Query) -> list[int]:
    """Ids in published or RSVP order. `published` is stored as the page gave it (any offset),
    so it is compared in UTC here; a post without one sorts by when it was received."""
    rows = session.execute(
        select(Mention.id, Mention.received_at, Mention.published, Mention.rsvp).where(*conditions)
    ).all()
    up = query.sort_dir == "up"
    if query.sort_by == "published":

        def key(row: Any) -> tuple[Any, ...]:
            return (published_datetime(row.published) or row.received_at, row.received_at, row.id)

        return [row.id for row in sorted(rows, key=key, reverse=not up)]

    def rsvp_key(row: Any) -> tuple[Any, ...]:
        # "down" lists yes first, "up" no first; non-RSVPs last; ties newest first.
        rank = _RSVP_RANK.get(row.rsvp or "")
        if rank is None:
            return (1, 0, -row.received_at.timestamp(), -row.id)
        return (0, -rank if up else rank, -row.received_at.timestamp(), -row.id)

    ordered = sorted(rows, key=rsvp_key)
    return [row.id for row in ordered]


def _load(session: Session, ids: list[int]) -> list[Mention]:
    by_id: dict[int, Mention] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        by_id.update(
            (m.id, m) for m in session.scalars(select(Mention).where(Mention.id.in_(chunk)))
        )
    return [by_id[i] for i in ids if i in by_id]


def visible_parents(session: Session, scope: Scope, mentions: list[Mention]) -> set[int]:
    """Parents that the same request could show: a reply never names a hidden mention."""
    parent_ids = sorted({m.parent_id for m in mentions if m.parent_id})
    visible: set[int] = set()
    for start in range(0, len(parent_ids), _CHUNK):
        chunk = parent_ids[start : start + _CHUNK]
        visible.update(
            session.scalars(
                select(Mention.id).where(Mention.id.in_(chunk), *scope.where(), scope.visible())
            )
        )
    return visible


def find(session: Session, scope: Scope, query: Query) -> Found:
    """The page of mentions `query` asks for, with the total matching count."""
    conditions = _filters(scope, query)
    offset = query.page * query.per_page
    if query.sort_by in ("published", "rsvp"):
        ids = _python_order(session, conditions, query)
        total = len(ids)
        mentions = _load(session, ids[offset : offset + query.per_page])
    else:
        total = int(
            session.scalar(select(func.count()).select_from(Mention).where(*conditions)) or 0
        )
        mentions = []
        if offset < total:
            mentions = list(
                session.scalars(
                    select(Mention)
                    .where(*conditions)
                    .order_by(*_sql_order(query))
                    .limit(query.per_page)
                    .offset(offset)
                )
            )
    return Found(total, mentions, visible_parents(session, scope, mentions))


def counts(session: Session, scope: Scope) -> dict[str, Counter[str]]:
    """Visible mentions per target key and count.json type key (rsvp-yes, like, ...)."""
    rows = session.execute(
        select(Mention.target_key, Mention.property, Mention.rsvp, func.count())
        .where(*scope.where(), scope.visible())
        .group_by(Mention.target_key, Mention.property, Mention.rsvp)
    ).all()
    result: dict[str, Counter[str]] = {}
    for key, prop, rsvp, number in rows:
        result.setdefault(key, Counter())[type_key_for(prop, rsvp)] += int(number)
    return result
