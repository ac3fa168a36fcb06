"""The spam score's reads at verdict time: what the site knows of the source (the owner's
decisions, the burst) and what its "report spam" taught; pingsvc.spam does the scoring."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from pingsvc import spam
from pingsvc.extract.entry import MentionData
from pingsvc.models import APPROVED, DELETED, REJECTED, Mention, ModerationAction, SpamToken

BURST = timedelta(hours=1)
# The owner's actions that count against a source (a reject also follows every report).
AGAINST = ("reject", "delete", "spam")

_other = aliased(Mention)


def _count(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(_other).where(*where).scalar_subquery()


def _by_owner(states: tuple[str, ...], actions: tuple[str, ...]) -> ColumnElement[bool]:
    """The other mention is in one of `states` by one of the owner's `actions`."""
    return and_(
        _other.status.in_(states),
        exists().where(
            ModerationAction.mention_id == _other.id, ModerationAction.action.in_(actions)
        ),
    )


def _rejected_by_owner() -> ColumnElement[bool]:
    return _by_owner((REJECTED, DELETED), AGAINST)


def _approved_by_owner() -> ColumnElement[bool]:
    return _by_owner((APPROVED,), ("approve",))


def history(
    conn: Connection, mention_id: int, site_id: int, host: str, author: str | None, now: datetime
) -> tuple[spam.History, int]:
    """The source host's and author's standing on the site, and how many mentions the site
    reported as spam, in one SELECT."""
    same_host = and_(_other.site_id == site_id, _other.source_host == host, _other.id != mention_id)
    same_author = and_(
        _other.site_id == site_id, _other.author_url == author, _other.id != mention_id
    )
    row = conn.execute(
        select(
            _count(same_host, _approved_by_owner()),
            _count(same_host, _rejected_by_owner()),
            _count(same_author, _approved_by_owner()) if author else literal(0),
            _count(same_author, _rejected_by_owner()) if author else literal(0),
            _count(
                _other.site_id == site_id,
                _other.source_host == host,
                _other.received_at >= now - BURST,
            ),
            _count(same_host, _other.status == APPROVED),
            _reports(site_id),
        )
    ).one()
    *counts, reports = (int(v or 0) for v in row)
    return spam.History(*counts), reports


def _reports(site_id: int) -> Any:
    """How many mentions the site reported as spam (read with the history: no round trip)."""
    return (
        select(func.count())
        .where(ModerationAction.site_id == site_id, ModerationAction.action == "spam")
        .scalar_subquery()
    )


def learned(conn: Connection, site_id: int, words: set[str]) -> dict[str, int]:
    """What the site's reports taught about these words (read only once it has reports)."""
    rows = conn.execute(
        select(SpamToken.token, SpamToken.reports).where(
            SpamToken.site_id == site_id, SpamToken.token.in_(sorted(words))
        )
    )
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
    words = spam.tokens(text)
    taught = learned(conn, site_id, words) if reports and words else {}
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
