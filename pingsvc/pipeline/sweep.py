"""The sweeps' queries: mentions whose verification was lost, and shown ones due again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from pingsvc.db import Database
from pingsvc.models import APPROVED, COMMENT, HELD, Mention, utcnow


def pending_ids(db: Database, older_than: float, limit: int = 1000) -> list[int]:
    """Mentions whose queued verification looks lost: queued longer ago than `older_than` s,
    and not running (a running one's lease holds; a dead worker's runs out)."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    query = (
        select(Mention.id)
        .where(
            Mention.queued_at.is_not(None),
            Mention.queued_at < cutoff,
            or_(Mention.lease_until.is_(None), Mention.lease_until < now),
        )
        .order_by(Mention.queued_at)
        .limit(limit)
    )
    return _mark_queued(db, query)


def stale_ids(db: Database, older_than_days: float, limit: int = 100) -> list[int]:
    """Shown mentions last verified more than `older_than_days` ago, oldest first, marked
    queued: re-verifying them finds posts that were deleted or lost their link since. Never
    an imported WordPress comment (no source page) nor an import not verified here (no
    verified_at: it was imported without --verify, and nothing is fetched for it)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    query = (
        select(Mention.id)
        .where(
            Mention.status.in_((APPROVED, HELD)),
            Mention.queued_at.is_(None),
            Mention.verified_at < cutoff,
            Mention.protocol != COMMENT,
        )
        .order_by(Mention.verified_at)
        .limit(limit)
    )
    return _mark_queued(db, query)


def _mark_queued(db: Database, query: Any) -> list[int]:
    with db.session() as session:
        ids = list(session.scalars(query).all())
        if ids:
            session.execute(update(Mention).where(Mention.id.in_(ids)).values(queued_at=utcnow()))
            session.commit()
        return ids
