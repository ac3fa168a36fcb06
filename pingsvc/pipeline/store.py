"""The worker's statements for one verification: claim a try, store its verdict (or its end
without a post), note a retry. Core statements built once, a few round trips each."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)

from pingsvc import changelog, metrics, moderation, spam
from pingsvc.db import Database
from pingsvc.extract.entry import MentionData
from pingsvc.models import APPROVED, DELETED, HELD, REJECTED, Mention, Site, Webhook, utcnow
from pingsvc.pipeline import relations, spamcheck
from pingsvc.pipeline.avatars import Avatar
from pingsvc.urls import host_of

# The verdict lines keep the logger they were always written under (operators filter on it).
log = logging.getLogger("pingsvc.pipeline")


@dataclass(frozen=True)
class Outcome:
    """What one verification decided; `changed` is False when nothing about the post moved."""

    status: str
    error: str | None = None
    changed: bool = True
    # The mention's outbox mark is set (this change, or an earlier one not sent yet, calls
    # for its webhooks and e-mail): queue the notification task. The mark is written in the
    # verdict's transaction, so the sweeper sends it should that message be lost.
    notify: bool = True
    mention_id: int | None = None
    # The avatar key this verification replaced (its files go when no mention uses them).
    unused_avatar: str | None = None
    protocol: str | None = None  # how the mention came: only a pingback waits for its verdict


# The tables, for Core statements (ORM attributes would add the ORM's work to each).
_mention = cast(Table, Mention.__table__)
_site = cast(Table, Site.__table__)
_now = bindparam("now", type_=DateTime())
# The verdict clears the queue mark, unless the pair was sent again while we were verifying
# it (the mark moved past the one this try claimed, `seen`): then its own queued message
# verifies it once more. A verification queued by a re-send starts afresh: receive reads
# attempts == 0 with a queue mark as "queued, not started" and coalesces re-sends into it.
_DONE = {
    "queued_at": case(
        (_mention.c.queued_at > bindparam("seen", type_=DateTime()), _mention.c.queued_at)
    ),
    "attempts": 0,
    "stops": 0,
    "lease_until": None,
    "verified_at": _now,
}


def _listeners(site_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the site has an active webhook or wants e-mail: without one, queueing the
    notification task for a verdict would be work for nothing."""
    hooked = exists().where(Webhook.site_id == site_id, Webhook.active.is_(True))
    mailed = exists().where(Site.id == site_id, Site.email_notify.is_(True))
    return or_(hooked.correlate(_mention), mailed.correlate(_mention))


# The statements of a verification, built once with bound parameters (building them anew
# per mention cost more CPU than running them).

# Counts the try, takes the lease and reads what the verification needs; a mention whose
# lease still holds is another worker's. A lease found set (and run out) is a try whose
# worker died: it counts as a stop. Autocommit: nothing else is written.
_CLAIM = (
    update(_mention)
    .where(
        _mention.c.id == bindparam("mention_id"),
        _mention.c.queued_at.is_not(None),
        or_(_mention.c.lease_until.is_(None), _mention.c.lease_until < _now),
    )
    .values(
        attempts=_mention.c.attempts + 1,
        stops=_mention.c.stops + case((_mention.c.lease_until.is_not(None), 1), else_=0),
        lease_until=bindparam("lease_until", type_=DateTime()),
    )
    .returning(
        _mention.c.attempts,
        _mention.c.source,
        _mention.c.target,
        _mention.c.protocol,
        _mention.c.queued_at,
        _mention.c.stops,
        _mention.c.code,
        _mention.c.vouch,
        _mention.c.site_id,
    )
)
_LEASED = select(_mention.c.lease_until).where(
    _mention.c.id == bindparam("mention_id"),
    _mention.c.queued_at.is_not(None),
    _mention.c.lease_until >= _now,
)

# Everything the verdict on a verified source depends on, read when it is stored (the owner
# may have decided, or blocked the source, while the page was being fetched).
_STANDING = (
    select(
        _mention.c.status,
        _mention.c.content_hash,
        _mention.c.error_kind,
        _mention.c.protocol,
        _mention.c.site_id,
        _mention.c.target_key,
        (
            moderation.blocking_rule(_mention.c.site_id)
            | moderation.author_rule(_mention.c.site_id)
        ).label("blocked"),
        moderation.owner_decision(_mention.c.id).label("decision"),
        _site.c.policy,
        case((_site.c.policy == "hold_new", moderation.approved_before(_mention))).label(
            "approved_before"
        ),
        _listeners(_mention.c.site_id).label("listeners"),
        _mention.c.notify_queued_at,
        _mention.c.parent_id,
        _mention.c.private,
        _site.c.spam_threshold,
        _mention.c.spam_score,
        _mention.c.spam_reasons,
        _mention.c.avatar_key,
    )
    .select_from(_mention.outerjoin(_site, _site.c.id == _mention.c.site_id))
    .where(_mention.c.id == bindparam("mention_id"))
)


def _approved_from(host: Any) -> Any:
    return exists().where(
        _mention.c.site_id == bindparam("site_id"),
        _mention.c.source_host == host,
        _mention.c.status == APPROVED,
    )


_VOUCH_WANTED = select(
    and_(_site.c.policy == "hold_new", ~_approved_from(bindparam("source_host"))).label("wanted")
).where(_site.c.id == bindparam("site_id"))
_VOUCH_TRUSTED = select(
    or_(
        exists().where(_site.c.id == bindparam("site_id"), _site.c.host == bindparam("vouch_host")),
        _approved_from(bindparam("vouch_host")),
    )
)

# What extraction found, and the verdict: the mention's one write.
_POST_COLUMNS = (
    "property", "rsvp", "url", "name", "summary", "content_html", "content_text",
    "author_name", "author_url", "author_photo", "published", "updated", "in_reply_to",
    "extra", "content_hash", "status", "error", "error_kind", "changed", "parent_id",
    "duplicate_of_id", "private", "vouch_note", "spam_score", "spam_reasons", "avatar_key",
)  # fmt: skip
# The outbox mark: an earlier one not yet taken stays (the sweeper measures from it).
_MARK = func.coalesce(_mention.c.notify_queued_at, bindparam("notify_at", type_=DateTime()))
_SAVE = (
    update(_mention)
    .where(_mention.c.id == bindparam("mention_id"))
    .values(
        {name: bindparam(name, type_=_mention.c[name].type) for name in _POST_COLUMNS}
        | _DONE
        | {"notify_queued_at": _MARK}
    )
)

# A verification that ended without a post: rejected, or deleted when it had been shown.
# SET sees the row as it was, so `changed` compares the old state with the new one.
# A shown mention's ending None keeps its status (a re-verification that could not read the
# page, through no change of the sender's: nothing shown is lost).
_ENDING = case(
    (
        _mention.c.status.in_((APPROVED, HELD, DELETED)),
        func.coalesce(bindparam("if_shown", type_=String()), _mention.c.status),
    ),
    else_=bindparam("if_not_shown", type_=String()),
)
_END = (
    update(_mention)
    .where(_mention.c.id == bindparam("mention_id"))
    .values(
        status=_ENDING,
        changed=_mention.c.status != _ENDING,
        error=bindparam("error"),
        error_kind=bindparam("error_kind"),
        # A change someone listens for leaves the outbox mark, in this same statement.
        notify_queued_at=case(
            (
                and_(_mention.c.status != _ENDING, _listeners(_mention.c.site_id)),
                func.coalesce(_mention.c.notify_queued_at, _now),
            ),
            else_=_mention.c.notify_queued_at,
        ),
        **_DONE,
    )
    .returning(
        _mention.c.status,
        _mention.c.changed,
        _mention.c.protocol,
        _mention.c.notify_queued_at,
    )
)

_RETRY = (
    update(_mention)
    .where(_mention.c.id == bindparam("mention_id"))
    .values(
        error=bindparam("error"),
        error_kind="upstream",
        queued_at=bindparam("queued_at"),
        lease_until=None,  # the try ended (it did not stop): the retry takes a lease anew
    )
)


# A try that ended in an error of ours (a bug, the database, a child that would not start):
# it counted as an attempt, and it did not stop the worker, so its lease must not read as
# a stop at the next claim. The queue mark stays: the sweeper sends it again.
_RELEASE = (
    update(_mention)
    .where(_mention.c.id == bindparam("mention_id"), _mention.c.lease_until.is_not(None))
    .values(lease_until=None)
)


@dataclass(frozen=True)
class Claim:
    """The try this worker claimed, and what the row said when it did."""

    mention_id: int
    attempts: int  # this one included
    source: str
    target: str
    protocol: str
    seen: datetime | None  # the queue mark claimed; a later one means "sent again"
    stops: int = 0  # earlier tries that ended with their worker gone
    code: str | None = None  # a Private Webmention's code, to trade for a token
    vouch: str | None = None  # a Vouch URL
    site_id: int | None = None


def claim(db: Database, mention_id: int, lease: float) -> Claim | None:
    """Count a try of a queued verification and lease it for `lease` seconds; None for an
    unknown id, one not queued, or one another worker holds (see `leased_for`)."""
    now = utcnow()
    params = {"mention_id": mention_id, "now": now, "lease_until": now + timedelta(seconds=lease)}
    with db.autocommit.connect() as conn:  # one statement: no BEGIN and COMMIT
        claimed = conn.execute(_CLAIM, params).first()
    if claimed is None:
        return None
    attempts, source, target, protocol, seen, stops, code, vouch, site_id = claimed
    return Claim(mention_id, attempts, source, target, protocol, seen, stops, code, vouch, site_id)


def vouch_wanted(db: Database, claim: Claim) -> bool | None:
    """Whether a vouch could change this mention's verdict: the site holds new domains
    (hold_new) and this source's domain was never approved there."""
    if claim.vouch is None or claim.site_id is None:
        return False
    with db.engine.connect() as conn:
        row = conn.execute(_VOUCH_WANTED, {
            "site_id": claim.site_id,
            "source_host": host_of(claim.source),
        }).first()  # fmt: skip
    return bool(row is not None and row.wanted)


def vouch_trusted(db: Database, claim: Claim) -> bool:
    """Whether the vouch's domain is one the site's owner trusts: the site's own host, or a
    domain a mention was approved from on the site."""
    if claim.vouch is None or claim.site_id is None:
        return False
    params = {"site_id": claim.site_id, "vouch_host": host_of(claim.vouch)}
    with db.engine.connect() as conn:
        return bool(conn.execute(_VOUCH_TRUSTED, params).scalar())


def leased_for(db: Database, mention_id: int) -> float | None:
    """Seconds left of the lease another worker holds on this queued mention, or None."""
    now = utcnow()
    with db.autocommit.connect() as conn:
        until = conn.execute(_LEASED, {"mention_id": mention_id, "now": now}).scalar()
    return (until - now).total_seconds() if until is not None else None


def note_retry(db: Database, mention_id: int, reason: str, countdown: float) -> None:
    """A transient failure: keep the mention pending with the error, queued again in
    `countdown` seconds."""
    queued_at = utcnow() + timedelta(seconds=countdown)
    with db.autocommit.connect() as conn:  # one statement: no BEGIN and COMMIT
        conn.execute(_RETRY, {"mention_id": mention_id, "error": reason, "queued_at": queued_at})


def release(db: Database, mention_id: int) -> None:
    """End a try's lease without a verdict (it failed with an error that is not the page's)."""
    with db.autocommit.connect() as conn:
        conn.execute(_RELEASE, {"mention_id": mention_id})


def finish(
    db: Database,
    claim: Claim,
    status: str | None,
    reason: str,
    kind: str,
    *,
    keep_shown: bool = False,
) -> Outcome | None:
    """End a verification without a post: `status`, or when None, rejected, or deleted when
    it had been shown (kept as it is with `keep_shown`, the reason recorded). One UPDATE; a
    deletion also re-queues the mention's copies."""
    params = {
        "mention_id": claim.mention_id,
        "if_shown": None if keep_shown else status or DELETED,
        "if_not_shown": status or REJECTED,
        "error": reason,
        "error_kind": kind,
        "seen": claim.seen,
        "now": utcnow(),
    }
    with db.engine.begin() as conn:
        ended = conn.execute(_END, params).first()
        if ended is None:
            return None
        status, changed, protocol, notify_at = ended
        if status == DELETED:
            relations.release(conn, claim.mention_id)
        if changed:  # the change feed's line, last before the commit (see changelog)
            changelog.record(conn, [claim.mention_id])
    metrics.verdict(protocol, status, kind)
    log.info("mention %s %s: %s", claim.mention_id, status, reason)
    return Outcome(
        status, reason, changed, notify_at is not None, claim.mention_id, protocol=protocol
    )


# The store's first statement: a write that changes nothing but locks the mention's row (and,
# on SQLite, the database), so what the store reads next is what is committed by then, and
# nothing written meanwhile (the owner's decision, a parent or original marking this row)
# is overwritten by a write built from an older read: those writers wait for this one.
_LOCK = (
    update(_mention)
    .where(_mention.c.id == bindparam("mention_id"))
    .values(attempts=_mention.c.attempts)
)


def store(
    db: Database,
    claim: Claim,
    data: MentionData,
    avatar: Avatar | None = None,
    *,
    vouched: bool = False,
    vouch_note: str | None = None,
) -> Outcome | None:
    """Store a verified mention: lock its row, one SELECT for the verdict's inputs,
    relations (one SELECT, writes only when they change something), one UPDATE, in one
    transaction. `vouched`: a vouch counted for it (hold_new approves it). A mention read
    with a Private Webmention code becomes private, and stays so."""
    digest = content_hash(data)
    inputs = {
        "mention_id": claim.mention_id,
        "source": claim.source,
        "domains": moderation.source_domains(claim.source),
        "authors": moderation.author_variants(data.author_url),
    }
    with db.engine.begin() as conn:
        conn.execute(_LOCK, {"mention_id": claim.mention_id})
        row = conn.execute(_STANDING, inputs).first()
        if row is None:
            return None
        standing = moderation.Standing(
            row.status, bool(row.blocked), row.decision, row.policy, row.approved_before,
            vouched,
        )  # fmt: skip
        status, error, error_kind = moderation.verdict(standing), None, None
        private = bool(row.private) or claim.code is not None
        now = utcnow()
        if digest == row.content_hash and row.spam_score is not None:
            # The post as it was: its score stands (and costs no reads).
            scored = spam.Score(row.spam_score, tuple(row.spam_reasons or ()))
        else:
            host = host_of(claim.source)
            scored = spamcheck.evaluate(
                conn, claim.mention_id, row.site_id, host, claim.target, data, now
            )
        # Spam holds what would be shown; the owner's own decision always wins.
        threshold = row.spam_threshold if row.spam_threshold is not None else spam.NEVER
        if status == APPROVED and standing.decision is None and scored.holds(threshold):
            status = HELD
        # A mention turned private looks different to the public (gone): a change too.
        changed = (
            digest != row.content_hash
            or row.status not in (APPROVED, HELD)
            or private != bool(row.private)
        )
        columns = _apply(claim.source, data)
        columns["avatar_key"] = avatar.key if avatar else None
        if avatar is not None:  # the original photo and how its avatar was made
            columns["extra"]["avatar"] = avatar.as_extra()
        # A new avatar changes what the entry shows, though the post's text did not.
        changed = changed or columns["avatar_key"] != row.avatar_key
        subject = relations.Subject(
            claim.mention_id, row.site_id, claim.target, row.target_key, claim.source
        )
        # Threads; may find it (or its copy) a duplicate.
        placement = relations.relate(conn, subject, data, columns["extra"])
        if placement.duplicate_of is not None:
            status, error, error_kind = REJECTED, placement.error, relations.DUPLICATE
            before = (row.content_hash, row.status, row.error_kind)
            changed = before != (digest, REJECTED, relations.DUPLICATE)
        notify = changed and bool(row.listeners)
        columns.update(
            mention_id=claim.mention_id,
            content_hash=digest,
            status=status,
            error=error,
            error_kind=error_kind,
            changed=changed,
            parent_id=placement.parent_id,
            duplicate_of_id=placement.duplicate_of.id if placement.duplicate_of else None,
            spam_score=scored.value,
            spam_reasons=list(scored.reasons),
            seen=claim.seen,
            now=now,
            private=private,
            vouch_note=vouch_note,
        )
        columns["notify_at"] = columns["now"] if notify else None
        conn.execute(_SAVE, columns)
        # The change feed's line, last before the commit (see pingsvc.changelog): one
        # statement, only when the entry may look different (a re-verification that found
        # the post as it was, in the same place, writes none). The subject's children come
        # with it; `moved` brings the copies and replies relate() changed.
        if (
            changed
            or status != row.status
            or placement.moved
            or placement.parent_id != row.parent_id
        ):
            changelog.record(conn, [claim.mention_id, *placement.moved])
    metrics.verdict(row.protocol, status, error_kind)
    log.info("mention %s %s (%s)", claim.mention_id, status, data.property)
    unused = row.avatar_key if row.avatar_key != columns["avatar_key"] else None
    return Outcome(
        status,
        error,
        changed,
        notify or row.notify_queued_at is not None,
        claim.mention_id,
        unused,
        row.protocol,
    )


def _apply(source: str, data: MentionData) -> dict[str, Any]:
    """The mention's columns for what extraction found."""
    return {
        "property": data.property,
        "rsvp": data.rsvp,
        "url": data.url or source,
        "name": data.name,
        "summary": data.summary,
        "content_html": data.content_html,
        "content_text": data.content_text,
        "author_name": data.author_name,
        "author_url": data.author_url,
        "author_photo": data.author_photo,
        "published": data.published,
        "updated": data.updated,
        "in_reply_to": data.in_reply_to[0] if data.in_reply_to else None,
        "extra": {
            "syndication": data.syndication,
            "canonical": data.canonical,
            "site_name": data.site_name,
            "microformats": data.microformats,
            "in_reply_to": data.in_reply_to,
            "post_type": data.post_type,
        },
    }


def content_hash(data: MentionData) -> str:
    return hashlib.sha256(json.dumps(data.as_dict(), sort_keys=True).encode()).hexdigest()
