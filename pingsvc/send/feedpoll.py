"""Watched feeds: adding one, and polling them with conditional GETs so that each new or
changed entry is queued to send (the first poll only records what is there, unless the feed
was added with send_existing). No Flask: the CLI and the worker pass `enqueue` in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from pingsvc.db import Database
from pingsvc.errors import FetchError, PingError
from pingsvc.fetch.client import Session, fetch, make_session
from pingsvc.fetch.page import Page
from pingsvc.models import Feed, FeedEntry, Site, utcnow
from pingsvc.pipeline import sandbox
from pingsvc.pipeline.steps import PipelineSettings
from pingsvc.send.feeds import ParsedFeed, read_feed
from pingsvc.urls import host_of, normalize_url

log = logging.getLogger(__name__)

# tasking.enqueue_send_post: queue the sending of one post; False when the broker refused it
Enqueue = Callable[[str], bool | None]
Outcome = Literal["first", "polled", "not_modified", "error"]


class FeedError(PingError):
    """A feed that can't be added: not a URL, not a feed, its site not registered..."""

    code = "invalid_feed"


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed found, and which post URLs it queued to send."""

    feed_id: int
    url: str
    outcome: Outcome
    format: str | None = None
    entries: int = 0
    new: int = 0
    changed: int = 0
    # Entries on another host than the feed's site: pingsvc sends only for its own sites.
    foreign: int = 0
    queued: tuple[str, ...] = ()
    error: str | None = None

    def describe(self) -> str:
        """One line for a person: what the poll did."""
        if self.outcome == "error":
            return f"{self.url}: error: {self.error}"
        if self.outcome == "not_modified":
            said = "not modified since the last poll"
        else:
            said = f"{self.format}, {self.entries} entries"
            if self.outcome == "first":
                said += " recorded (first poll)"
            else:
                said += f", {self.new} new, {self.changed} changed"
        if self.foreign:
            said += f", {self.foreign} on other hosts skipped"
        return f"{self.url}: {said}; {len(self.queued)} queued to send"


@dataclass(frozen=True)
class FeedInfo:
    """A watched feed as `pingsvc feed list` shows it."""

    id: int
    host: str
    url: str
    entries: int
    polled_at: datetime | None
    last_error: str | None


def add_feed(
    db: Database,
    host: str,
    url: str,
    settings: PipelineSettings,
    enqueue: Enqueue,
    *,
    send_existing: bool = False,
) -> PollResult:
    """Watch `url` for the registered site `host`, polling it once now: a URL that is not a
    readable feed is refused (FeedError with the reason) and nothing is stored."""
    try:
        url = normalize_url(url, "feed")
    except PingError as exc:
        raise FeedError(exc.description) from exc
    host = host.strip().lower()
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        if site is None:
            raise FeedError(f"{host} is not registered; add it with `pingsvc site add {host}`")
        if session.scalar(select(Feed.id).where(Feed.site_id == site.id, Feed.url == url)):
            raise FeedError(f"{url} is already watched for {host}")
        feed = Feed(site_id=site.id, url=url, send_existing=send_existing)
        session.add(feed)
        session.commit()
        feed_id = feed.id
    result = poll_feed(db, feed_id, settings, enqueue)
    if result.outcome == "error":
        with db.session() as session:
            session.delete(session.get(Feed, feed_id))
            session.commit()
        raise FeedError(f"{url} can't be watched: {result.error}")
    return result


def list_feeds(db: Database) -> list[FeedInfo]:
    """Every watched feed, by host and URL, with how many entries it has listed."""
    counts = (
        select(FeedEntry.feed_id, func.count().label("n")).group_by(FeedEntry.feed_id).subquery()
    )
    query = (
        select(Feed, Site.host, func.coalesce(counts.c.n, 0))
        .join(Site, Feed.site_id == Site.id)
        .outerjoin(counts, counts.c.feed_id == Feed.id)
        .order_by(Site.host, Feed.url)
    )
    with db.session() as session:
        return [
            FeedInfo(feed.id, host, feed.url, int(n), feed.polled_at, feed.last_error)
            for feed, host, n in session.execute(query)
        ]


def poll_all(
    db: Database,
    settings: PipelineSettings,
    enqueue: Enqueue,
    *,
    older_than: float | None = None,
) -> list[PollResult]:
    """Poll every feed (with `older_than`, only those not polled in that many seconds), one
    after another on one connection pool. A feed's failure is in its result, not raised."""
    query = select(Feed.id).order_by(Feed.id)
    if older_than is not None:
        cutoff = utcnow() - timedelta(seconds=older_than)
        query = query.where(or_(Feed.polled_at.is_(None), Feed.polled_at <= cutoff))
    with db.session() as session:
        ids = list(session.scalars(query))
    http = make_session(settings.policy)
    try:
        return [poll_feed(db, feed_id, settings, enqueue, http) for feed_id in ids]
    finally:
        http.close()


def poll_feed(
    db: Database,
    feed_id: int,
    settings: PipelineSettings,
    enqueue: Enqueue,
    http: Session | None = None,
) -> PollResult:
    """Fetch one feed (conditionally once it has been read), record its entries, and queue
    the sends that are due: new and changed entries, and any whose queueing failed before."""
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return PollResult(feed_id, "", "error", error="no such feed")
        url, site_host = feed.url, feed.site.host
        headers = {}
        if feed.primed_at is not None:  # the first poll must read the whole feed
            if feed.etag:
                headers["If-None-Match"] = feed.etag
            if feed.last_modified:
                headers["If-Modified-Since"] = feed.last_modified
    try:
        page = fetch(url, settings.policy, http, check=False, headers=headers)
        parsed = None if page.status_code == 304 else _read(page, settings)
    except FetchError as exc:
        reason = exc.reason.replace("the source", "the feed")
        _note(db, feed_id, error=reason)
        log.info("polling feed %s failed: %s", url, reason)
        return PollResult(feed_id, url, "error", error=reason)
    if parsed is None:
        _note(db, feed_id)
        return PollResult(feed_id, url, "not_modified", queued=_queue_due(db, feed_id, enqueue))
    try:
        result = _record(db, feed_id, url, site_host, page, parsed)
    except IntegrityError:  # another poll of the same feed stored the same new entry first
        reason = "another poll of this feed ran at the same time; it is polled again next time"
        _note(db, feed_id, error=reason)
        return PollResult(feed_id, url, "error", error=reason)
    queued = _queue_due(db, feed_id, enqueue)
    return PollResult(**{**result.__dict__, "queued": queued})


def _read(page: Page, settings: PipelineSettings) -> ParsedFeed:
    """The feed parsed in a sandbox child, within the CPU budget received pages get."""
    budget = max(settings.parse_cpu_limit, settings.parse_cpu_per_mib * len(page.body) / 2**20)
    readers = sandbox.pool(settings.parse_processes, settings.parse_cpu_limit)
    parsed: ParsedFeed = readers.run(
        read_feed, page, settings.policy.max_depth,
        wall_limit=60 * budget, what=f"feed, {page.media_type}, {len(page.body)} bytes",
        cpu_limit=budget,
    )  # fmt: skip
    return parsed


def _header(page: Page, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in page.headers.items() if k.lower() == wanted), None)


def _validator(page: Page, name: str, column: Any) -> str | None:
    """The header `name` of the feed's answer when it fits `column`: the feed's server chose
    its length, and a value the database refuses (PostgreSQL) would fail every poll. One
    that does not fit is dropped, so the next poll is a full GET."""
    value = _header(page, name)
    return value if value is not None and len(value) <= column.type.length else None


def _note(db: Database, feed_id: int, *, error: str | None = None) -> None:
    """Record that the feed was polled, and what went wrong (None: nothing)."""
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            feed.polled_at, feed.last_error = utcnow(), error
            session.commit()


def _record(
    db: Database, feed_id: int, url: str, site_host: str, page: Page, parsed: ParsedFeed
) -> PollResult:
    """Store the feed's entries and validators in one transaction. An entry is due to send
    when its fingerprint is not the one last queued; a first poll marks what it finds as
    already sent, unless the feed was added to send it."""
    now = utcnow()
    new = changed = foreign = 0
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None  # poll_feed read it; a delete in between cascades to nothing
        first = feed.primed_at is None
        known = {
            e.url: e for e in session.scalars(select(FeedEntry).where(FeedEntry.feed_id == feed_id))
        }
        for entry in parsed.entries:
            if host_of(entry.url) != site_host:
                foreign += 1
                continue
            row = known.get(entry.url)
            if row is None:
                sent = entry.fingerprint if first and not feed.send_existing else None
                session.add(
                    FeedEntry(
                        feed_id=feed_id, url=entry.url, fingerprint=entry.fingerprint,
                        sent_fingerprint=sent, first_seen_at=now, changed_at=now,
                    )
                )  # fmt: skip
                new += 1
            elif row.fingerprint != entry.fingerprint:
                row.fingerprint, row.changed_at = entry.fingerprint, now
                changed += 1
        feed.etag = _validator(page, "ETag", Feed.etag)
        feed.last_modified = _validator(page, "Last-Modified", Feed.last_modified)
        feed.primed_at = feed.primed_at or now
        feed.polled_at, feed.last_error = now, None
        session.commit()
    return PollResult(
        feed_id, url, "first" if first else "polled", format=parsed.format,
        entries=len(parsed.entries) - foreign, new=0 if first else new, changed=changed,
        foreign=foreign,
    )  # fmt: skip


def _queue_due(db: Database, feed_id: int, enqueue: Enqueue) -> tuple[str, ...]:
    """Queue the send of every due entry, marking each sent once its message is out; when
    the broker is down the rest stay due, and the next poll queues them."""
    queued: list[str] = []
    with db.session() as session:
        due = session.scalars(
            select(FeedEntry)
            .where(
                FeedEntry.feed_id == feed_id,
                or_(
                    FeedEntry.sent_fingerprint.is_(None),
                    FeedEntry.sent_fingerprint != FeedEntry.fingerprint,
                ),
            )
            .order_by(FeedEntry.id)
        ).all()
        for entry in due:
            try:
                sent = enqueue(entry.url)
            except Exception as exc:  # noqa: BLE001 - the entry stays due for the next poll
                log.warning("could not queue the send of %s: %s", entry.url, exc)
                sent = False
            if sent is False:  # the broker is down: the rest wait for the next poll too
                break
            entry.sent_fingerprint, entry.sent_at = entry.fingerprint, utcnow()
            session.commit()
            queued.append(entry.url)
    return tuple(queued)
