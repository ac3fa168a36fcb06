"""accept(): the synchronous half of both protocols. Checks, upsert a pending row, commit,
then enqueue. No network I/O: the worker does the fetching."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingsvc import metrics
from pingsvc.errors import Blocked, InvalidSource, TargetNotSupported
from pingsvc.models import BlockRule, Mention, Site, utcnow
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


# The two statements of a request are built once per dialect, with bound parameters:
# building SQLAlchemy expressions anew cost more than running them.
_CHECK = (
    select(
        Site.id,
        exists().where(  # the same rule as moderation.blocking_rule, as a correlated EXISTS
            (BlockRule.site_id == Site.id) | BlockRule.site_id.is_(None),
            (
                (BlockRule.kind == "domain")
                & BlockRule.value.in_(bindparam("domains", expanding=True))
            )
            | ((BlockRule.kind == "url") & (BlockRule.value == bindparam("source"))),
        ),
    )
    .where(Site.host == bindparam("host"))
    .limit(1)
)


def _domains(host: str) -> list[str]:
    """The host and its parent domains (not the bare TLD): what a domain block rule names."""
    parts = host.split(".")
    return sorted({host, *(".".join(parts[i:]) for i in range(1, len(parts) - 1))})


def check(session: Session, source: str, target: str) -> tuple[str, str, int]:
    """Validate a (source, target) pair; return their normal forms and the target's site id.
    The site and its block rules are read in one indexed query, never cached: a site or a
    block rule added a moment ago applies to the next request."""
    target = normalize_url(target, "target")
    source = normalize_url(source, "source")
    if same_document(source, target):
        raise InvalidSource("The source and the target are the same page.", code="same_url")
    host = host_of(target)
    row = (
        session.connection()
        .execute(  # Core: no ORM layer for a plain row
            _CHECK, {"host": host, "source": source, "domains": _domains(host_of(source))}
        )
        .first()
    )
    if row is None:
        raise TargetNotSupported(
            f"{host} is not a site this service receives mentions for; "
            "its owner must register it first."
        )
    if row[1]:
        raise Blocked("Mentions from this source are not accepted by the site's owner.")
    return source, target, int(row[0])


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING for `dialect`, with bound parameters."""
    columns = Mention.__table__.c
    names = ("site_id", "source", "source_host", "target", "target_key", "protocol", "extra")
    values: dict[str, Any] = {name: bindparam(name, type_=columns[name].type) for name in names}
    now = bindparam("now", type_=columns["received_at"].type)
    values.update(status="pending", attempts=0, queued_at=now, received_at=now, updated_at=now)
    waiting = and_(Mention.queued_at.is_not(None), Mention.attempts == 0)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Mention)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["source", "target"],
            set_={
                "queued_at": case((waiting, Mention.queued_at), else_=now),
                "updated_at": now,
                "protocol": values["protocol"],
            },
        )
        .returning(Mention.id, Mention.queued_at)
    )


def _upsert(
    session: Session, site_id: int, source: str, target: str, protocol: str
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
    params = {
        "site_id": site_id,
        "source": source,
        "source_host": host_of(source),
        "target": target,
        "target_key": target_key(target),
        "protocol": protocol,
        "extra": {},
        "now": now,
    }
    statement = _upsert_statement(session.get_bind().dialect.name)
    mention_id, marked = session.connection().execute(statement, params).one()
    return int(mention_id), marked != now


def accept(session: Session, source: str, target: str, protocol: str, enqueue: Enqueue) -> Accepted:
    """Record a mention request and queue its verification. Raises PingError subclasses."""
    source, target, site_id = check(session, source, target)
    mention_id, coalesced = _upsert(session, site_id, source, target, protocol)
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
