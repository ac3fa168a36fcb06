"""The spam score's reads at verdict time: what the site knows of the source (the owner's
decisions, the burst) and what its "report spam" taught; pingsvc.spam does the scoring."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from pingsvc import spam
from pingsvc.extract.entry import MentionData
from pingsvc.models import APPROVED, DELETED, REJECTED, Mention, ModerationAction, SpamToken

BURST = timedelta(hours=1)
# The owner's actions that count against a source (a reject also follows every report).
AGAINST = ("reject", "delete", "spam")
# Counts stop here: the score only asks "any?" and "5 or more?", and a source with thousands
# of mentions must not cost thousands of rows a verdict.
CAP = spam.COUNT_CAP

_other = aliased(Mention)


def _count(*where: ColumnElement[bool]) -> Any:
    """How many other mentions match, up to CAP."""
    capped = select(literal(1).label("one")).select_from(_other).where(*where).limit(CAP)
    return select(func.count()).select_from(capped.subquery()).scalar_subquery()


def _by_owner(states: tuple[str, ...], actions: tuple[str, ...]) -> ColumnElement[bool]:
    """The other mention is in one of `states` by one of the owner's `actions`."""
    return and_(
        _other.status.in_(states),
        exists().where(
            ModerationAction.mention_id == _other.id, ModerationAction.action.in_(actions)
        ),
    )


_SITE = bindparam("site_id", type_=Integer())
_ME = bindparam("mention_id", type_=Integer())
_HOST = and_(_other.site_id == _SITE, _other.source_host == bindparam("host"), _other.id != _ME)
# An unknown author (None) compares as NULL: it matches no mention.
_AUTHOR = and_(_other.site_id == _SITE, _other.author_url == bindparam("author"), _other.id != _ME)
_REJECTED = _by_owner((REJECTED, DELETED), AGAINST)
_APPROVED = _by_owner((APPROVED,), ("approve",))
# Built once with bound parameters: building it per verdict cost more CPU than running it.
_HISTORY = select(
    _count(_HOST, _APPROVED),
    _count(_HOST, _REJECTED),
    _count(_AUTHOR, _APPROVED),
    _count(_AUTHOR, _REJECTED),
    _count(
        _other.site_id == _SITE,
        _other.source_host == bindparam("host"),
        _other.received_at >= bindparam("since", type_=DateTime()),
    ),
    _count(_HOST, _other.status == APPROVED),
    # How many mentions the site reported as spam (read with the history: no round trip).
    select(func.count())
    .where(ModerationAction.site_id == _SITE, ModerationAction.action == "spam")
    .scalar_subquery(),
)
_LEARNED = select(SpamToken.token, SpamToken.reports).where(
    SpamToken.site_id == _SITE, SpamToken.token.in_(bindparam("words", expanding=True))
)


def history(
    conn: Connection, mention_id: int, site_id: int, host: str, author: str | None, now: datetime
) -> tuple[spam.History, int]:
    """The source host's and author's standing on the site, and how many mentions the site
    reported as spam, in one SELECT."""
    params = {"site_id": site_id, "mention_id": mention_id, "host": host, "author": author,
              "since": now - BURST}  # fmt: skip
    *counts, reports = (int(v or 0) for v in conn.execute(_HISTORY, params).one())
    return spam.History(*counts), reports


def learned(conn: Connection, site_id: int, words: set[str]) -> dict[str, int]:
    """What the site's reports taught about these words (read only once it has reports)."""
    rows = conn.execute(_LEARNED, {"site_id": site_id, "words": sorted(words)})
    return {token: count for token, count in rows}


def evaluate(
    conn: Connection,
    mention_id: int,
    site_id: int,
    source_host: str,
    target: str,
    data: MentionData,
    now: datetime,
) -> spam.Score:
    """Score a verified mention as its site sees it now."""
    text = " ".join(t for t in (data.name, data.summary, data.content_text) if t)
    standing, reports = history(conn, mention_id, site_id, source_host, data.author_url, now)
    taught: dict[str, int] = {}
    if reports:  # a site with no reports has taught nothing: no words to look up
        words = spam.tokens(text)
        taught = learned(conn, site_id, words) if words else {}
    return spam.score(
        spam.Evidence(
            source_host=source_host,
            target=target,
            text=text,
            html=data.content_html or "",
            author_url=data.author_url,
            history=standing,
            learned=taught,
            reports=reports,
        )
    )
