"""process_mention(id): fetch → verify → extract → moderate → store. Idempotent, no Flask."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from pingsvc import metrics, mf2, moderation, relations
from pingsvc.db import Database
from pingsvc.errors import FetchError, HostilePage, SourceGone, TransientFetchError
from pingsvc.extract import SUMMARY_LENGTH, MentionData, extract
from pingsvc.fetch import FetchPolicy, fetch, make_session
from pingsvc.models import (
    APPROVED,
    DELETED,
    HELD,
    PENDING,
    REJECTED,
    Mention,
    Site,
    Webhook,
    utcnow,
)
from pingsvc.verify import links_to

log = logging.getLogger(__name__)

NO_LINK = "the source page does not link to the target"


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """A transient failure: try again in `countdown` seconds (the mention stays pending)."""

    def __init__(self, reason: str, countdown: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.countdown = countdown


@dataclass(frozen=True)
class PipelineSettings:
    policy: FetchPolicy
    max_tries: int = 5
    backoff: float = 3.0
    summary_length: int = SUMMARY_LENGTH

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PipelineSettings:
        return cls(
            policy=FetchPolicy.from_config(config),
            max_tries=int(config["VERIFY_MAX_TRIES"]),
            backoff=float(config["VERIFY_BACKOFF"]),
            summary_length=int(config.get("SUMMARY_LENGTH", SUMMARY_LENGTH)),
        )


@dataclass(frozen=True)
class Outcome:
    """What one verification decided; `changed` is False when nothing about the post moved."""

    status: str
    error: str | None = None
    changed: bool = True
    # Someone listens for this site's changes (an active webhook, or e-mail to the owner):
    # without one, queueing the notification task would be work for nothing.
    notify: bool = True


_local = threading.local()
_author_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_AUTHOR_TTL = 3600.0


def _session(policy: FetchPolicy) -> requests.Session:
    """One keep-alive session per worker thread and policy."""
    cached = getattr(_local, "session", None)
    if cached is None or cached[0] != policy:
        cached = (policy, make_session(policy))
        _local.session = cached
    return cached[1]


def _author_page_mf2(policy: FetchPolicy) -> Any:
    def fetch_mf2(url: str) -> dict[str, Any]:
        hit = _author_cache.get(url)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        page = fetch(url, policy, _session(policy))
        parsed = mf2.parse(page.text, page.url)
        if len(_author_cache) > 1000:
            _author_cache.clear()
        _author_cache[url] = (time.monotonic() + _AUTHOR_TTL, parsed)
        return parsed

    return fetch_mf2


def content_hash(data: MentionData) -> str:
    return hashlib.sha256(json.dumps(data.as_dict(), sort_keys=True).encode()).hexdigest()


def inspect(source: str, target: str, settings: PipelineSettings) -> MentionData:
    """Fetch `source` and return what it says about `target`; raise FetchError when it can't
    be used (no link included)."""
    started = time.perf_counter()
    try:
        page = fetch(source, settings.policy, _session(settings.policy))
    except FetchError as exc:
        metrics.fetched(time.perf_counter() - started, exc.kind)
        raise
    metrics.fetched(time.perf_counter() - started, "ok")
    try:  # fetch refuses deep pages; this is the net should a parser still recurse too far
        if not links_to(page, target):
            raise FetchError(NO_LINK, kind="no_link")
        return extract(
            page,
            target,
            _author_page_mf2(settings.policy),
            summary_length=settings.summary_length,
        )
    except RecursionError as exc:
        raise HostilePage("the source page is nested too deeply to read") from exc


def process_mention(db: Database, mention_id: int, settings: PipelineSettings) -> Outcome | None:
    """Verify one mention and store the verdict. Returns None when there is nothing to do
    (unknown id, or no verification queued). Raises RetryLater for transient failures."""
    with db.session() as session:
        # One statement claims the try: count it, and read what the verification needs.
        claimed = session.execute(
            update(Mention)
            .where(Mention.id == mention_id, Mention.queued_at.is_not(None))
            .values(attempts=Mention.attempts + 1)
            .returning(
                Mention.attempts,
                Mention.source,
                Mention.target,
                Mention.protocol,
                Mention.queued_at,
            )  # fmt: skip
        ).first()
        if claimed is None:  # unknown id, or no verification queued
            return None
        session.commit()
    attempts, source, target, protocol, seen = claimed
    crashed = attempts > settings.max_tries + 1  # every earlier try died mid-way

    if crashed:  # a page that kills the worker must not be retried forever by the sweeper
        reason = f"verifying the source stopped the worker {attempts - 1} times; gave up"
        return _finish(db, mention_id, seen, REJECTED, reason, "hostile")
    try:
        data = inspect(source, target, settings)
    except TransientFetchError as exc:
        if attempts < settings.max_tries:
            countdown = settings.backoff * 2 ** (attempts - 1)
            _note_retry(db, mention_id, exc.reason, countdown)
            metrics.retried(protocol)
            raise RetryLater(exc.reason, countdown) from exc
        reason = f"{exc.reason} (gave up after {attempts} tries)"
        return _finish(db, mention_id, seen, REJECTED, reason, exc.kind)
    except SourceGone as exc:
        return _finish(db, mention_id, seen, DELETED, exc.reason, exc.kind)
    except FetchError as exc:
        return _finish(db, mention_id, seen, None, exc.reason, exc.kind)
    return _store(db, mention_id, seen, data)


def _done(mention: Mention, seen: datetime | None) -> None:
    """Clear the queue mark, unless the pair was sent again while we were verifying it: then
    its own queued message verifies it once more."""
    if mention.queued_at is None or seen is None or mention.queued_at <= seen:
        mention.queued_at = None
    # A verification queued by a re-send starts afresh: receive reads attempts == 0 with a
    # queue mark as "queued, not started" and coalesces further re-sends into it.
    mention.attempts = 0
    mention.verified_at = utcnow()


def _note_retry(db: Database, mention_id: int, reason: str, countdown: float) -> None:
    with db.session() as session:
        session.execute(
            update(Mention)
            .where(Mention.id == mention_id)
            .values(
                error=reason,
                error_kind="upstream",
                queued_at=utcnow() + timedelta(seconds=countdown),
            )
        )
        session.commit()


def _finish(
    db: Database,
    mention_id: int,
    seen: datetime | None,
    status: str | None,
    reason: str,
    kind: str,
) -> Outcome | None:
    """End a verification without a post: rejected, or deleted when it had been shown."""
    with db.session() as session:
        mention = session.get(Mention, mention_id)
        if mention is None:
            return None
        if status is None:
            status = DELETED if mention.status in (APPROVED, HELD, DELETED) else REJECTED
        changed = mention.status != status
        mention.status, mention.error, mention.error_kind = status, reason, kind
        mention.changed = changed
        if status == DELETED:
            relations.release(session, mention)
        _done(mention, seen)
        notify = changed and _has_listeners(session, mention.site_id)
        session.commit()
        metrics.verdict(mention.protocol, status, kind)
        log.info("mention %s %s: %s", mention_id, status, reason)
        return Outcome(status, reason, changed, notify)


def _store(
    db: Database, mention_id: int, seen: datetime | None, data: MentionData
) -> Outcome | None:
    with db.session() as session:
        mention = session.get(Mention, mention_id)
        if mention is None:
            return None
        digest = content_hash(data)
        changed = digest != mention.content_hash or mention.status not in (APPROVED, HELD)
        before = (mention.content_hash, mention.status, mention.error_kind)
        status = moderation.verdict(session, mention)
        _apply(mention, data)
        mention.content_hash = digest
        mention.status, mention.error, mention.error_kind = status, None, None
        relations.relate(session, mention, data)  # threads; may mark it (or its copy) duplicate
        if mention.error_kind == relations.DUPLICATE:
            changed = before != (digest, REJECTED, relations.DUPLICATE)
        mention.changed = changed
        _done(mention, seen)
        notify = changed and _has_listeners(session, mention.site_id)
        session.commit()
        metrics.verdict(mention.protocol, mention.status, mention.error_kind)
        log.info("mention %s %s (%s)", mention_id, mention.status, data.property)
        return Outcome(mention.status, mention.error, changed, notify)


def _has_listeners(session: Session, site_id: int) -> bool:
    """Whether the site has an active webhook or wants e-mail: one indexed query, in the
    verdict's transaction, instead of a notification task per verified mention."""
    hooked = exists().where(Webhook.site_id == site_id, Webhook.active.is_(True))
    mailed = exists().where(Site.id == site_id, Site.email_notify.is_(True))
    return bool(session.scalar(select(or_(hooked, mailed))))


def _apply(mention: Mention, data: MentionData) -> None:
    mention.property = data.property
    mention.rsvp = data.rsvp
    mention.url = data.url or mention.source
    mention.name = data.name
    mention.summary = data.summary
    mention.content_html = data.content_html
    mention.content_text = data.content_text
    mention.author_name = data.author_name
    mention.author_url = data.author_url
    mention.author_photo = data.author_photo
    mention.published = data.published
    mention.updated = data.updated
    mention.in_reply_to = data.in_reply_to[0] if data.in_reply_to else None
    mention.extra = {
        "syndication": data.syndication,
        "canonical": data.canonical,
        "site_name": data.site_name,
        "microformats": data.microformats,
        "in_reply_to": data.in_reply_to,
        "post_type": data.post_type,
    }


def pending_ids(db: Database, older_than: float, limit: int = 1000) -> list[int]:
    """Mentions whose queued verification looks lost (queued longer ago than `older_than` s)."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    query = (
        select(Mention.id)
        .where(Mention.queued_at.is_not(None), Mention.queued_at < cutoff)
        .order_by(Mention.queued_at)
        .limit(limit)
    )
    return _mark_queued(db, query)


def stale_ids(db: Database, older_than_days: float, limit: int = 100) -> list[int]:
    """Shown mentions last verified more than `older_than_days` ago, oldest first, marked
    queued: re-verifying them finds posts that were deleted or lost their link since."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    query = (
        select(Mention.id)
        .where(
            Mention.status.in_((APPROVED, HELD)),
            Mention.queued_at.is_(None),
            Mention.verified_at < cutoff,
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


__all__ = ["PENDING", "Outcome", "PipelineSettings", "RetryLater", "process_mention"]
