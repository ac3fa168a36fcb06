"""Reads and writes of Outgoing rows: what pingsvc sent for a post, to whom, and how it went.
No network, no Flask: planning (send.post), the worker, the API and the dashboard share it."""

from __future__ import annotations

import functools
import random
import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from pingsvc.db import Database
from pingsvc.models import (
    ACCEPTED,
    APPROVED,
    FINAL_SEND_STATES,
    NOT_SUPPORTED,
    QUEUED,
    Mention,
    Outgoing,
    utcnow,
)
from pingsvc.urls import host_of

# The fields of a send's status, in the API's order (GET of the location, the callback).
STATUS_FIELDS = (
    "source", "target", "status", "type", "endpoint", "http_code", "summary", "location",
)  # fmt: skip


def new_public_id() -> str:
    """An unguessable id for the API location (128 bits)."""
    return secrets.token_urlsafe(16)


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (source, target) DO UPDATE … RETURNING id, for `dialect`: two
    sends of one post at once end on one row per target."""
    columns = Outgoing.__table__.c
    names = (
        "site_id", "public_id", "source", "target", "target_host", "linked", "callback",
        "code", "realm",
    )  # fmt: skip
    values: dict[str, Any] = {name: bindparam(name, type_=columns[name].type) for name in names}
    now = bindparam("now", type_=columns["created_at"].type)
    values.update(status=QUEUED, attempts=0, queued_at=now, created_at=now, updated_at=now)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Outgoing)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["source", "target"],
            set_={
                # A new send: discovery runs again, and the tries start again.
                "status": QUEUED,
                "attempts": 0,
                "last_error": None,
                "queued_at": now,
                "updated_at": now,
                "linked": values["linked"],
                "callback": values["callback"],
                "site_id": values["site_id"],
                # Each send says whether the post is private (its code and realm) anew.
                "code": values["code"],
                "realm": values["realm"],
            },
        )
        .returning(Outgoing.id)
    )


def upsert(
    session: Session,
    site_id: int,
    source: str,
    target: str,
    *,
    linked: bool,
    callback: str | None = None,
    code: str | None = None,
    realm: str | None = None,
) -> int:
    """Queue one (source, target) send: a new row, or the earlier one made queued again (its
    last result stays readable until the new one is written). Not committed; the row's id."""
    params = {
        "site_id": site_id,
        "public_id": new_public_id(),
        "source": source,
        "target": target,
        "target_host": host_of(target),
        "linked": linked,
        "callback": callback,
        "code": code,
        "realm": realm,
        "now": utcnow(),
    }
    statement = _upsert_statement(session.get_bind().dialect.name)
    return int(session.execute(statement, params).scalar_one())


def for_source(session: Session, source: str) -> list[Outgoing]:
    """Every target ever sent for `source`, in the order they were first planned."""
    return list(
        session.scalars(
            select(Outgoing).where(Outgoing.source == source).order_by(Outgoing.id)
        ).all()
    )


def earlier_targets(session: Session, source: str) -> list[str]:
    """The targets `source` was sent to before (linked then or not)."""
    return [row.target for row in for_source(session, source)]


def told_of_removal(session: Session, source: str) -> set[str]:
    """The targets `source` no longer links that have heard so: their removal was sent and
    ended accepted (or they advertise no endpoint to tell)."""
    return set(
        session.scalars(
            select(Outgoing.target).where(
                Outgoing.source == source,
                Outgoing.linked.is_(False),
                Outgoing.status.in_((ACCEPTED, NOT_SUPPORTED)),
            )
        ).all()
    )


def for_site(
    session: Session, site_id: int, *, limit: int = 100, offset: int = 0
) -> list[Outgoing]:
    """A site's sends, the most recently changed first."""
    return list(
        session.scalars(
            select(Outgoing)
            .where(Outgoing.site_id == site_id)
            .order_by(Outgoing.updated_at.desc(), Outgoing.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    )


def sources_of_site(session: Session, site_id: int, *, limit: int = 100) -> list[str]:
    """The site's posts that pingsvc sent for, the most recently changed first."""
    latest = func.max(Outgoing.updated_at)
    rows = session.execute(
        select(Outgoing.source, latest)
        .where(Outgoing.site_id == site_id)
        .group_by(Outgoing.source)
        .order_by(latest.desc())
        .limit(limit)
    ).all()
    return [row[0] for row in rows]


def by_public_id(session: Session, public_id: str) -> Outgoing | None:
    if not public_id or len(public_id) > 64:
        return None
    return session.scalars(select(Outgoing).where(Outgoing.public_id == public_id)).first()


def by_ids(session: Session, ids: Iterable[int]) -> list[Outgoing]:
    wanted = list(ids)
    if not wanted:
        return []
    rows = session.scalars(select(Outgoing).where(Outgoing.id.in_(wanted))).all()
    order = {outgoing_id: index for index, outgoing_id in enumerate(wanted)}
    return sorted(rows, key=lambda row: order[row.id])


def all_final(session: Session, ids: Iterable[int]) -> bool:
    """Whether every one of these sends has a final status."""
    wanted = list(ids)
    if not wanted:
        return True
    open_count = session.scalar(
        select(func.count()).where(Outgoing.id.in_(wanted), Outgoing.status == QUEUED)
    )
    return not open_count


def status_document(row: Outgoing) -> dict[str, Any]:
    """A send's status in the API's (Telegraph's) shape."""
    return {
        "source": row.source,
        "target": row.target,
        "status": row.status,
        "type": row.protocol,
        "endpoint": row.endpoint,
        "http_code": row.http_code,
        "summary": row.summary if row.summary is not None else row.last_error,
        "location": row.location,
    }


# -- the worker's side: claims per receiving host, results --------------------------------


@dataclass(frozen=True)
class Claim:
    """A delivery a worker may make now: what it needs, read when it was claimed."""

    id: int
    source: str
    target: str
    target_host: str
    attempts: int  # including this one
    linked: bool
    callback: str | None
    site_id: int | None = None
    code: str | None = None  # Private Webmention: sent with the webmention
    realm: str | None = None


class HostBusy(Exception):  # noqa: N818 - it is a wait, not an error
    """The receiving host already has its share of requests running; try in `countdown` s."""

    def __init__(self, host: str, countdown: float) -> None:
        super().__init__(f"{host} already has its share of requests running")
        self.countdown = countdown


def _host_lock(session: Session, host: str) -> None:
    """PostgreSQL: claims of one host are made one at a time (a transaction-scoped advisory
    lock), so the count of running deliveries a claim reads is never stale. SQLite needs
    none: the claim is one UPDATE, and SQLite runs one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"pingsvc-send:{host}".encode())
        session.execute(select(func.pg_advisory_xact_lock(key)))


def claim(db: Database, outgoing_id: int, *, lease: float, per_host: int) -> Claim | None:
    """Take a queued send for one delivery try, counting the try: None when there is nothing
    to do (unknown, or already final). Raises HostBusy when its receiving host already has
    `per_host` deliveries running, or this send is running elsewhere."""
    with db.session() as session:
        row = session.get(Outgoing, outgoing_id)
        if row is None or row.status != QUEUED:
            return None
        host = row.target_host
        _host_lock(session, host)
        now = utcnow()
        other = aliased(Outgoing)
        running = (
            select(func.count())
            .select_from(other)
            .where(other.target_host == host, other.lease_until > now)
            .scalar_subquery()
        )
        result = session.execute(
            update(Outgoing)
            .where(
                Outgoing.id == outgoing_id,
                Outgoing.status == QUEUED,
                or_(Outgoing.lease_until.is_(None), Outgoing.lease_until <= now),
                running < per_host,
            )
            .values(
                lease_until=now + timedelta(seconds=lease),
                attempts=Outgoing.attempts + 1,
                queued_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            session.expire_all()
            row = session.get(Outgoing, outgoing_id)
            if row is None or row.status != QUEUED:
                return None
            held = row.lease_until is not None and row.lease_until > now
            # A host's turn comes when one of its deliveries ends: soon, at a spread of times.
            turn = random.uniform(1.0, 3.0)
            wait = (row.lease_until - now).total_seconds() + 1 if held else turn  # type: ignore[operator]
            raise HostBusy(host, wait)
        session.refresh(row)
        return Claim(
            id=row.id,
            source=row.source,
            target=row.target,
            target_host=row.target_host,
            attempts=row.attempts,
            linked=row.linked,
            callback=row.callback,
            site_id=row.site_id,
            code=row.code,
            realm=row.realm,
        )


def vouch_for(db: Database, claim: Claim) -> str | None:
    """A Vouch URL for a send (indieweb.org/Vouch): the latest approved mention our site got
    from the target's domain. Its page is on the receiver's domain and links to our site,
    so a receiver that holds new domains can approve ours by it. None when there is none."""
    if claim.site_id is None:
        return None
    with db.session() as session:
        return session.scalar(
            select(Mention.source)
            .where(
                Mention.site_id == claim.site_id,
                Mention.source_host == claim.target_host,
                Mention.status == APPROVED,
                Mention.private.is_(False),
            )
            .order_by(Mention.verified_at.desc(), Mention.id.desc())
            .limit(1)
        )


def _same_try(outgoing_id: int, attempts: int | None) -> Any:
    """The row, while no new send of the pair has queued it again since the claim that
    counted `attempts` (a re-send resets the count): that send's result would be stale."""
    condition = Outgoing.id == outgoing_id
    return condition if attempts is None else condition & (Outgoing.attempts == attempts)


def note_retry(
    db: Database, outgoing_id: int, error: str, countdown: float, *, attempts: int | None = None
) -> bool:
    """A try failed for now: keep the send queued, due in `countdown` s (the sweeper waits
    for that too), with the reason readable meanwhile. False (the claim only released) when
    the pair was sent again meanwhile: its own message delivers it."""
    with db.session() as session:
        result = session.execute(
            update(Outgoing)
            .where(_same_try(outgoing_id, attempts))
            .values(
                last_error=error,
                lease_until=None,
                queued_at=utcnow() + timedelta(seconds=countdown),
            )
        )
        session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        release(db, outgoing_id)
        return False
    return True


def finish(
    db: Database, outgoing_id: int, status: str, *, attempts: int | None = None, **fields: Any
) -> Outgoing | None:
    """Write a send's final status (accepted, not_supported or error) and what the receiver
    said (protocol, endpoint, http_code, summary, location, last_error); the row as written.
    With `attempts` (the claim's), None and only the claim released when the pair was sent
    again since: the new send's message delivers it, with endpoints discovered anew."""
    if status not in FINAL_SEND_STATES:
        raise ValueError(f"{status!r} is not a final send status")
    now = utcnow()
    with db.session() as session:
        result = session.execute(
            update(Outgoing)
            .where(_same_try(outgoing_id, attempts))
            .values(status=status, queued_at=None, lease_until=None, sent_at=now, **fields)
        )
        session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            release(db, outgoing_id)
            return None
        return session.get(Outgoing, outgoing_id)


def release(db: Database, outgoing_id: int) -> None:
    """End a claim without a result (the try failed on our side): the send stays queued."""
    with db.session() as session:
        session.execute(update(Outgoing).where(Outgoing.id == outgoing_id).values(lease_until=None))
        session.commit()


def due_ids(db: Database, older_than: float, limit: int = 1000) -> list[int]:
    """Queued sends whose message looks lost: due longer ago than `older_than` seconds and not
    running. Marked due now, so the next sweep waits for the re-sent message."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    with db.session() as session:
        ids = list(
            session.scalars(
                select(Outgoing.id)
                .where(
                    Outgoing.status == QUEUED,
                    Outgoing.queued_at.is_not(None),
                    Outgoing.queued_at < cutoff,
                    or_(Outgoing.lease_until.is_(None), Outgoing.lease_until < now),
                )
                .order_by(Outgoing.queued_at)
                .limit(limit)
            ).all()
        )
        if ids:
            session.execute(update(Outgoing).where(Outgoing.id.in_(ids)).values(queued_at=utcnow()))
            session.commit()
        return ids
