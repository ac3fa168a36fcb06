"""The notification outbox: the mark a mention's change leaves, in its own transaction, for
webhooks and e-mail; the one step that turns a mark into deliveries; the marks the sweeper
finds when the broker lost the message. No Flask, no Celery: the worker's tasks wrap it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from pingsvc.db import Database
from pingsvc.models import Mention, utcnow
from pingsvc.notify import email, webhooks


def send(
    db: Database,
    mention_id: int,
    *,
    email_on: bool,
    queue_email: Callable[[int], None],
) -> list[int]:
    """Take the mention's outbox mark and write the webhook deliveries its state calls for,
    in one transaction; the ids of the deliveries to send. Without a mark (already sent:
    a duplicate message, or the sweeper's copy of one) nothing is written.

    The e-mail's message is queued before the commit: if queueing fails, the transaction
    rolls back and the mark stays for the sweeper. The e-mail task reads only what was
    committed before (the mention's state, emailed_at), and sends once per mention."""
    with db.session() as session:
        # Taking the mark is the first statement, so it also locks the mention's row (and, on
        # SQLite, the database): what is read next is committed by then, and a verdict or
        # decision made meanwhile waits for this commit, then leaves a new mark of its own.
        taken = session.execute(
            update(Mention)
            .where(Mention.id == mention_id, Mention.notify_queued_at.is_not(None))
            .values(notify_queued_at=None)
            .returning(Mention.id)
        ).first()
        if taken is None:
            session.rollback()
            return []
        delivery_ids = webhooks.plan(session, mention_id)
        if email_on and email.wants_email(session, mention_id):
            queue_email(mention_id)
        session.commit()
    return delivery_ids


def due_ids(db: Database, older_than: float, limit: int = 1000) -> list[int]:
    """Mentions whose notification looks lost (marked longer ago than `older_than` seconds),
    oldest first, marked again with the time now so the next pass leaves them to this one."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with db.session() as session:
        ids = list(
            session.scalars(
                select(Mention.id)
                .where(Mention.notify_queued_at.is_not(None), Mention.notify_queued_at < cutoff)
                .order_by(Mention.notify_queued_at)
                .limit(limit)
            )
        )
        if ids:
            session.execute(
                update(Mention)
                .where(Mention.id.in_(ids), Mention.notify_queued_at.is_not(None))
                .values(notify_queued_at=utcnow())
            )
            session.commit()
        return ids
