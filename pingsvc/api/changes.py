"""The change feed, /api/changes.json: a site's changes after a cursor, each one the mention as
it is now (an upsert with its jf2 entry) or a tombstone (a delete), so a cache learns of
deletions too. The lines are written by pingsvc.changelog, which says why cursors never skip
a change committed late."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingsvc import changelog
from pingsvc.api import jf2
from pingsvc.api import query as apiquery
from pingsvc.api.params import Args, HeaderMap, parse_domain, parse_int, parse_token
from pingsvc.api.params import Query as MentionsQuery
from pingsvc.errors import PingError
from pingsvc.models import Mention, MentionChange

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1_000
_CURSOR = re.compile(r"[0-9]{1,18}", re.ASCII)


class BadCursor(PingError):
    """A `since` that is no cursor of this feed: 400, saying where to start instead."""

    status = 400
    code = "invalid_cursor"


@dataclass(frozen=True)
class ChangesQuery:
    """One change-feed request, validated."""

    token: str
    domain: str | None = None
    since: int = 0
    per_page: int = DEFAULT_PER_PAGE


def _cursor(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return 0
    if not _CURSOR.fullmatch(raw.strip()):
        raise BadCursor(
            f"since: {raw[:40]!r} is not a cursor of this feed. Give the `cursor` of the last "
            "change you applied (or the `next` of the page before), or 0 to start from the "
            "beginning."
        )
    return int(raw)


def parse(args: Args, headers: HeaderMap) -> ChangesQuery:
    """domain, token (or a Bearer header), since and per-page; the token is required."""
    token, _ = parse_token(args, headers)
    domain = parse_domain(args.get("domain") or None)
    if token is None:
        raise apiquery.Unauthorized(
            "The change feed is the site owner's: give the site's token (token=...; create "
            "one with `pingsvc site token HOST`).",
            code="missing_token",
        )
    per_page = parse_int(args, ("per-page", "perPage"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    return ChangesQuery(token, domain, _cursor(args.get("since")), per_page)


def _check_reach(session: Session, since: int) -> None:
    """A cursor past every change ever written is not one this feed gave out (a cache kept
    across a restore into another database, say): following it would skip changes silently."""
    if since == 0:
        return
    newest = session.scalar(select(func.max(MentionChange.id))) or 0
    if since > newest:
        raise BadCursor(
            f"since: {since} is past this feed's newest change ({newest}); it is not a cursor "
            "this service gave out. Start again from since=0 and rebuild the cache."
        )


def page(session: Session, query: ChangesQuery) -> dict[str, Any]:
    """The changes after `query.since`, oldest first, at most per_page lines: each mention
    once, at the cursor of its latest line on the page, as it is now."""
    scope = apiquery.resolve(session, MentionsQuery(domain=query.domain, token=query.token))
    _check_reach(session, query.since)
    assert scope.site_id is not None  # a token without targets: resolve gives its site
    changelog.hold_for_reading(session, scope.site_id)
    rows = session.execute(
        select(MentionChange.id, MentionChange.mention_id, MentionChange.target)
        .where(MentionChange.site_id == scope.site_id, MentionChange.id > query.since)
        .order_by(MentionChange.id)
        .limit(query.per_page + 1)
    ).all()
    session.commit()  # lets the site's writers go: what follows reads mentions, not lines
    more = len(rows) > query.per_page
    rows = rows[: query.per_page]
    latest = {row.mention_id: row for row in rows}  # a later line of a mention wins
    # Shown exactly as the domain-wide API shows them to this token: same scope, same rules.
    shown = {
        m.id: m
        for m in session.scalars(
            select(Mention).where(Mention.id.in_(list(latest)), *scope.where(), scope.visible())
        )
    }
    parents = apiquery.visible_parents(session, scope, list(shown.values()))
    changes: list[dict[str, Any]] = []
    for row in sorted(latest.values(), key=lambda r: r.id):
        mention = shown.get(row.mention_id)
        if mention is None:
            changes.append(
                {"cursor": row.id, "op": "delete", "wm-id": row.mention_id, "wm-target": row.target}
            )
            continue
        changes.append(
            {
                "cursor": row.id,
                "op": "upsert",
                "wm-id": mention.id,
                "wm-target": mention.target,
                "entry": jf2.entry(mention, parent_visible=mention.parent_id in parents),
            }
        )
    return {"changes": changes, "next": rows[-1].id if more else None}
