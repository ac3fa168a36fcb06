"""accept(): the synchronous half of both protocols. Checks, upsert a pending row, commit,
then enqueue. No network I/O: the worker does the fetching."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingsvc import metrics
from pingsvc.errors import Blocked, InvalidSource, TargetNotSupported
from pingsvc.models import Mention, Site, utcnow
from pingsvc.moderation import blocking_rule
from pingsvc.urls import host_of, normalize_url, same_document, target_key

log = logging.getLogger(__name__)

Enqueue = Callable[[int], None]


@dataclass(frozen=True)
class Accepted:
    mention_id: int
    source: str
    target: str
    enqueued: bool  # a verification is queued (False: the broker was down; the sweeper will)
    coalesced: bool = False  # it joined a verification queued by an earlier, identical request


def find_site(session: Session, target: str) -> Site | None:
    return session.scalars(select(Site).where(Site.host == host_of(target))).first()


def check(session: Session, source: str, target: str) -> tuple[str, str, Site]:
    """Validate a (source, target) pair; return their normal forms and the target's site."""
    target = normalize_url(target, "target")
    source = normalize_url(source, "source")
    if same_document(source, target):
        raise InvalidSource("The source and the target are the same page.", code="same_url")
    site = find_site(session, target)
    if site is None:
        raise TargetNotSupported(
            f"{host_of(target)} is not a site this service receives mentions for; "
            "its owner must register it first."
        )
    if blocking_rule(session, site.id, source) is not None:
        raise Blocked("Mentions from this source are not accepted by the site's owner.")
    return source, target, site


def _upsert(
    session: Session, site: Site, source: str, target: str, protocol: str
) -> tuple[int, bool]:
    """Insert or mark the pair for verification, in one statement (concurrent senders end on
    one row). Returns its id and whether it coalesced into a verification already queued.

    A queue mark with attempts == 0 means a verification is queued and not yet started: it
    will read the page after this request, so the mark is kept and nothing is enqueued. Once
    a worker has started (attempts > 0) the mark moves to now and a new message is sent,
    so pipeline._done keeps the row queued for that message: a re-send mid-verification is
    verified again, never lost.
    """
    now = utcnow()
    values = {
        "site_id": site.id,
        "source": source,
        "source_host": host_of(source),
        "target": target,
        "target_key": target_key(target),
        "protocol": protocol,
        "status": "pending",
        "queued_at": now,
        "attempts": 0,
        "received_at": now,
        "updated_at": now,
        "extra": {},
    }
    waiting = and_(Mention.queued_at.is_not(None), Mention.attempts == 0)
    queued_at = case((waiting, Mention.queued_at), else_=now)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(Mention)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["source", "target"],
            set_={"queued_at": queued_at, "updated_at": now, "protocol": protocol},
        )
        .returning(Mention.id, Mention.queued_at)
    )
    mention_id, marked = session.execute(upsert).one()
    return int(mention_id), marked != now


def accept(session: Session, source: str, target: str, protocol: str, enqueue: Enqueue) -> Accepted:
    """Record a mention request and queue its verification. Raises PingError subclasses."""
    source, target, site = check(session, source, target)
    mention_id, coalesced = _upsert(session, site, source, target, protocol)
    session.commit()  # the row is the truth; the broker only carries its id
    metrics.mention_received(protocol)
    if coalesced:  # a flood of the same ping costs one verification
        return Accepted(mention_id, source, target, enqueued=True, coalesced=True)
    try:
        enqueue(mention_id)
        enqueued = True
    except Exception as exc:  # noqa: BLE001 - the sweeper re-enqueues it when the broker is back
        log.warning("could not enqueue mention %s (%s); the sweeper will retry", mention_id, exc)
        enqueued = False
    return Accepted(mention_id, source, target, enqueued)
