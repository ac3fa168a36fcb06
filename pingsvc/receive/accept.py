"""accept(): the synchronous half of both protocols. Checks, upsert a pending row, commit,
then enqueue (deferred when the source's domain is past its pace). No network I/O: the worker
does the fetching."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingsvc import metrics, moderation
from pingsvc.db import Database
from pingsvc.errors import Blocked, InvalidSource, PingError, TargetNotSupported, VouchRequired
from pingsvc.models import APPROVED, Mention, Site, utcnow
from pingsvc.receive.pacing import Pacing
from pingsvc.urls import host_of, normalize_url, same_document, target_key

log = logging.getLogger(__name__)

# Sends the verification of a committed mention: called with its id, and when deferred also
# the seconds before it may run (tasking.enqueue_verify, through send_after_commit). False
# when the broker refused it (logged there; the sweeper sends it later); any other answer
# counts as sent.
Enqueue = Callable[..., bool | None]


@dataclass(frozen=True)
class Extras:
    """What a webmention may carry besides source and target: a Private Webmention's code
    and realm, and a Vouch URL. Stored with the mention; the worker uses them."""

    code: str | None = None
    realm: str | None = None
    vouch: str | None = None

    @property
    def empty(self) -> bool:
        return self.code is None and self.realm is None and self.vouch is None


CODE_MAX = 512
REALM_MAX = 255


def parse_extras(code: str | None, realm: str | None, vouch: str | None) -> Extras:
    """The optional fields checked, or the 400 error that says what is wrong with one."""
    code = (code or "").strip() or None
    realm = (realm or "").strip() or None
    vouch = (vouch or "").strip() or None
    if code is not None and (len(code) > CODE_MAX or not code.isprintable()):
        raise PingError(
            f"The code must be printable text of at most {CODE_MAX} characters.",
            code="invalid_code",
        )
    if realm is not None and code is None:
        raise PingError(
            "A realm is sent only with a code (Private Webmention).", code="invalid_realm"
        )
    if realm is not None and (len(realm) > REALM_MAX or not realm.isprintable()):
        raise PingError(
            f"The realm must be printable text of at most {REALM_MAX} characters.",
            code="invalid_realm",
        )
    if vouch is not None:
        vouch = normalize_url(vouch, "vouch")
    return Extras(code, realm, vouch)


@dataclass(frozen=True)
class Accepted:
    mention_id: int
    source: str
    target: str
    enqueued: bool  # a verification is queued (False: the broker was down; the sweeper will)
    coalesced: bool = False  # it joined a verification queued by an earlier, identical request
    # Seconds before the verification runs: the source's domain sent more than its pace
    # allows (PINGSVC_RATE_LIMIT_SOURCE), so its turn comes later.
    deferred: float = 0.0


def find_site(session: Session, target: str) -> Site | None:
    return session.scalars(select(Site).where(Site.host == host_of(target))).first()


# The two statements of a request are built once per dialect, with bound parameters:
# building SQLAlchemy expressions anew cost more than running them.
_CHECK = (
    select(Site.id, moderation.blocking_rule(Site.id))
    .where(Site.host == bindparam("host"))
    .limit(1)
)


def normal_pair(source: str, target: str) -> tuple[str, str]:
    """The normal forms of a (source, target) pair, or the 400 error that says what is wrong
    with it (no database needed)."""
    target = normalize_url(target, "target")
    source = normalize_url(source, "source")
    if same_document(source, target):
        raise InvalidSource("The source and the target are the same page.", code="same_url")
    return source, target


def _not_a_site(host: str) -> TargetNotSupported:
    return TargetNotSupported(
        f"{host} is not a site this service receives mentions for; "
        "its owner must register it first."
    )


def _blocked() -> Blocked:
    return Blocked("Mentions from this source are not accepted by the site's owner.")


def check(session: Session, source: str, target: str) -> tuple[str, str, int]:
    """Validate a (source, target) pair; return their normal forms and the target's site id.
    The site and its block rules are read in one indexed query, never cached: a site or a
    block rule added a moment ago applies to the next request."""
    source, target = normal_pair(source, target)
    host = host_of(target)
    row = (
        session.connection()
        .execute(  # Core: no ORM layer for a plain row
            _CHECK, {"host": host, "source": source, "domains": moderation.source_domains(source)}
        )
        .first()
    )
    if row is None:
        raise _not_a_site(host)
    if row[1]:
        raise _blocked()
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
) -> tuple[int, datetime | None]:
    """Insert or mark the pair for verification, in one statement (concurrent senders end on
    one row). Returns its id, and the queue mark of the verification already queued that it
    coalesced into (None when it queued a new one).

    A queue mark with attempts == 0 means a verification is queued and not yet started: it
    will read the page after this request, so the mark is kept and nothing is enqueued. Once
    a worker has started (attempts > 0) the mark moves to now and a new message is sent,
    so the pipeline keeps the row queued for that message: a re-send mid-verification is
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
    return int(mention_id), marked if marked != now else None


# PostgreSQL: check() and _upsert() as one statement that commits itself, so an accept is one
# round trip instead of four (BEGIN, SELECT, INSERT ... RETURNING, COMMIT). Written as
# SQL rather than built with Core: Core's per-execution cache-key walk over a statement this
# size cost more CPU than running it (bench/README.md has the figures). It reads the
# site and its block rules as _CHECK does and writes what _upsert_statement writes, Mention's
# Python-side defaults (changed, extra) included; tests/receive/test_accept.py compares the rows
# the two paths store. No site: no row; blocked: a row with nothing upserted.
_ACCEPT_POSTGRESQL = """
WITH found AS (
    SELECT site.id,
           EXISTS (SELECT FROM block_rule AS rule
                   WHERE (rule.site_id = site.id OR rule.site_id IS NULL)
                     AND ((rule.kind = 'domain' AND rule.value = ANY(%(domains)s))
                          OR (rule.kind = 'url' AND rule.value = %(source)s))) AS blocked,
           (%(check_vouch)s AND site.require_vouch
            AND NOT EXISTS (SELECT FROM mention AS known
                            WHERE known.site_id = site.id
                              AND known.source_host = %(source_host)s
                              AND known.status = 'approved')) AS needs_vouch
    FROM site
    WHERE site.host = %(host)s
), upserted AS (
    INSERT INTO mention (site_id, source, source_host, target, target_key, protocol, status,
                         attempts, changed, extra, queued_at, received_at, updated_at)
    SELECT found.id, %(source)s, %(source_host)s, %(target)s, %(target_key)s, %(protocol)s,
           'pending', 0, true, '{}', %(now)s, %(now)s, %(now)s
    FROM found
    WHERE NOT found.blocked AND NOT found.needs_vouch
    ON CONFLICT (source, target) DO UPDATE SET
        queued_at = CASE WHEN mention.queued_at IS NOT NULL AND mention.attempts = 0
                         THEN mention.queued_at ELSE excluded.queued_at END,
        updated_at = excluded.updated_at,
        protocol = excluded.protocol
    RETURNING mention.id, mention.queued_at
)
SELECT found.id, found.blocked, upserted.id, upserted.queued_at, found.needs_vouch
FROM found LEFT JOIN upserted ON true
"""


def _upsert_in_one_statement(
    database: Database, source: str, target: str, protocol: str, check_vouch: bool = False
) -> tuple[int, datetime | None]:
    """check() and _upsert() in one autocommitted PostgreSQL statement, with _upsert's
    answer: the mention id and the queue mark it coalesced into, if it did. `check_vouch`:
    require_vouch() in the same statement (nothing is stored when a vouch is required)."""
    now = utcnow()
    host = host_of(target)
    source_host = host_of(source)
    params = {
        "host": host,
        "domains": moderation.source_domains(source),
        "source": source,
        "source_host": source_host,
        "target": target,
        "target_key": target_key(target),
        "protocol": protocol,
        "now": now,
        "check_vouch": check_vouch,
    }
    row, sent_twice = database.execute_autocommit(_ACCEPT_POSTGRESQL, params)
    if row is None:
        raise _not_a_site(host)
    if row[1]:
        raise _blocked()
    if row[4]:
        raise _vouch_required()
    # Sent twice: the first try may have committed before its connection dropped, and the
    # second then sees its own mark as an earlier request's. A message too many is harmless
    # (verifying an id twice gives the same result); one too few would wait for the sweeper.
    return int(row[2]), row[3] if row[3] != now and not sent_twice else None


# A deferred verification's queue mark is its turn: the sweeper re-sends what is queued longer
# than PINGSVC_SWEEP_AFTER ago, so it waits for the turn too, and still sends it should the
# broker lose the delayed message. The mark moved is the one this request just set (it
# queued a new message), also when a worker is mid-try (attempts > 0): that try keeps a mark
# later than the one it claimed, so the pair stays queued for its turn.
_DEFER = (
    update(Mention)
    .where(Mention.id == bindparam("mention_id"), Mention.queued_at.is_not(None))
    .values(queued_at=bindparam("due"))
)


# Sites that answer 449 to a source domain they never approved, unless it brings a vouch.
_WANTS_VOUCH = select(Site.id).where(
    Site.host == bindparam("host"),
    Site.require_vouch.is_(True),
    ~exists().where(
        Mention.site_id == Site.id,
        Mention.source_host == bindparam("source_host"),
        Mention.status == APPROVED,
    ),
)

_EXTRAS = (
    update(Mention)
    .where(Mention.id == bindparam("mention_id"))
    .values(code=bindparam("code"), realm=bindparam("realm"), vouch=bindparam("vouch"))
)


def require_vouch(session: Session, source: str, target: str) -> None:
    """Raise VouchRequired when the target's site asks for a vouch from the source's domain
    (never approved there). Read only for webmentions that bring none."""
    params = {"host": host_of(target), "source_host": host_of(source)}
    if session.execute(_WANTS_VOUCH, params).first() is not None:
        raise _vouch_required()


def _vouch_required() -> VouchRequired:
    return VouchRequired(
        "This site accepts webmentions from domains it has not approved before only with "
        "a vouch: send again with a vouch URL, a page on a domain the site trusts that "
        "links to your domain (indieweb.org/Vouch)."
    )


def _defer(session: Session, mention_id: int, delay: float) -> None:
    session.execute(_DEFER, {"mention_id": mention_id, "due": utcnow() + timedelta(seconds=delay)})
    session.commit()


def accept(
    database: Database,
    source: str,
    target: str,
    protocol: str,
    enqueue: Enqueue,
    pacing: Pacing | None = None,
    extras: Extras | None = None,
) -> Accepted:
    """Record a mention request and queue its verification, at once or, past the source
    domain's pace, at its turn. Raises PingError subclasses (RateLimited over the domain's
    cap). Its writes are its own unit of work, committed before the broker hears of them (the
    row is the truth; the broker only carries its id), never part of a caller's transaction:
    on PostgreSQL one statement that commits itself, elsewhere a session of its own.
    `extras` (webmention only) are written to the row before its verification is queued;
    without a vouch, a site that requires one is asked first (VouchRequired, 449)."""
    source, target = normal_pair(source, target)
    host = host_of(source)
    if pacing is not None:
        pacing.admit(host)
    check_vouch = extras is not None and extras.vouch is None
    if database.dialect == "postgresql":
        mention_id, joined = _upsert_in_one_statement(
            database, source, target, protocol, check_vouch
        )
    else:
        with database.session() as session:
            source, target, site_id = check(session, source, target)
            if check_vouch:
                require_vouch(session, source, target)
            mention_id, joined = _upsert(session, site_id, source, target, protocol)
            session.commit()
    if extras is not None and not extras.empty:
        # A second statement only when the request carries them: the hot path stays one.
        # The latest request's code and vouch are the ones the next verification uses.
        with database.session() as session:
            session.execute(
                _EXTRAS,
                {"mention_id": mention_id, "code": extras.code, "realm": extras.realm,
                 "vouch": extras.vouch},
            )  # fmt: skip
            session.commit()
    metrics.mention_received(protocol)
    if joined is not None:  # a flood of the same ping costs one verification
        wait = max(0.0, (joined - utcnow()).total_seconds())  # a deferred one's turn
        return Accepted(mention_id, source, target, enqueued=True, coalesced=True, deferred=wait)
    if pacing is not None:
        pacing.count(host)
    delay = pacing.delay(host) if pacing is not None else 0.0
    if delay > 0:
        with database.session() as session:
            _defer(session, mention_id, delay)
        log.info(
            "mention %s from %s verified in %.0f s (its domain's pace)", mention_id, host, delay
        )
    enqueued = enqueue(mention_id, delay) if delay > 0 else enqueue(mention_id)
    return Accepted(mention_id, source, target, enqueued is not False, deferred=delay)
