"""import_records(): stores what an import reader yields, idempotently and batch by batch,
and the Report of what it did."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pingsvc import changelog
from pingsvc.db import Database
from pingsvc.errors import PingError
from pingsvc.models import Mention, MentionLink, Site, utcnow
from pingsvc.pipeline import relations
from pingsvc.portability.records import Record, verifiable
from pingsvc.sanitize import clean_html, text_of
from pingsvc.urls import host_of, normalize_url, target_key

log = logging.getLogger(__name__)


class ImportFormatError(Exception):
    """A file that can't be read as the format it claims: the message names the file and the
    line (JSON) or the line and element (XML), and says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        # What the batches before the bad one stored (set by import_records).
        self.report: Report | None = None


class ImportRefused(Exception):
    """An import that can't start: no such site, and not allowed to create it."""


@dataclass
class Report:
    """What an import did: counts, and why records were skipped (reason -> how many)."""

    imported: int = 0
    updated: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.reasons[reason] += count

    def add(self, other: Report) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.skipped += other.skipped
        self.reasons.update(other.reasons)

    def summary(self) -> str:
        """`imported N, updated N, skipped N (reason N, ...)`, the import's one line; a
        single reason for every skip is named without its count."""
        line = f"imported {self.imported}, updated {self.updated}, skipped {self.skipped}"
        if self.reasons:
            only = len(self.reasons) == 1
            grouped = ", ".join(
                reason if only else f"{reason} {n}"
                for reason, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            line += f" ({grouped})"
        return line


Progress = Callable[[int], None]
Enqueue = Callable[[int], bool | None]  # tasking.enqueue_verify; False: the broker refused it

# Columns a re-import may change. Not the status: once imported, what the owner decides in
# pingsvc (a delete, an approval) wins over the file.
_UPDATABLE = (
    "property", "rsvp", "url", "name", "summary", "content_html", "content_text",
    "author_name", "author_url", "author_photo", "published", "updated", "in_reply_to",
    "private", "received_at",
)  # fmt: skip


def import_records(
    db: Database,
    records: Iterable[Record],
    *,
    site_host: str,
    create_site: bool = True,
    verify: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
    enqueue: Enqueue | None = None,
) -> Report:
    """Store `records` as mentions of `site_host` (created when missing and `create_site`).
    One transaction per batch: a record the reader can't read (ImportFormatError) leaves
    nothing of its batch, and the error carries the report of the batches before it. Fetches
    nothing; with `verify`, each new mention with a source is queued for verification once
    its batch is committed (`enqueue`, by default the worker's verify task)."""
    site_host = site_host.strip().lower()
    site_id = _site(db, site_host, create_site)
    report = Report()
    orphans: dict[int, tuple[str, str]] = {}
    if verify and enqueue is None:
        from pingsvc.tasking import enqueue_verify  # Celery only when verifying

        enqueue = enqueue_verify
    iterator: Iterator[Record] = iter(records)
    while True:
        try:
            batch = list(islice(iterator, batch_size))
        except ImportFormatError as exc:
            exc.report = report
            raise
        if not batch:
            break
        done, queued, batch_orphans = _store_batch(db, site_id, site_host, batch, verify)
        report.add(done)
        orphans.update(batch_orphans)
        for mention_id in queued:
            assert enqueue is not None
            try:
                enqueue(mention_id)
            except Exception as exc:  # noqa: BLE001 - queued_at is set: the sweeper sends it
                log.warning("could not queue the verification of mention %s: %s", mention_id, exc)
        if progress is not None:
            progress(len(batch))
    if orphans:
        _adopt(db, site_id, orphans)
    return report


def _site(db: Database, host: str, create: bool) -> int:
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        if site is not None:
            return site.id
        if not create:
            raise ImportRefused(
                f"There is no site {host}; add it with `pingsvc site add {host}` first."
            )
        site = Site(host=host)
        session.add(site)
        session.commit()
        return site.id


def _on_site(url: str, host: str) -> bool:
    # A WordPress or webmention.io site is often served both with and without www.
    return host_of(url).removeprefix("www.") == host.removeprefix("www.")


def _check(record: Record, site_host: str) -> tuple[Record | None, str]:
    """The record with its URLs in normal form, or None and the reason it is skipped."""
    if record.skip:
        return None, record.skip
    try:
        source = normalize_url(record.source, "source")
    except PingError:
        return None, "source is not an http(s) URL"
    try:
        target = normalize_url(record.target, "target")
    except PingError:
        return None, "target is not an http(s) URL"
    if not _on_site(target, site_host):
        return None, f"target not on {site_host}"
    if source == target:
        return None, "source is the target"
    return replace(record, source=source, target=target), ""


def columns(record: Record, site_id: int) -> dict[str, Any]:
    """The stored columns of a checked record; HTML is sanitized as for received mentions."""
    html = clean_html(record.content_html, record.source) if record.content_html else None
    text = record.content_text or (text_of(html) if html else None)
    return {
        "site_id": site_id,
        "source": record.source,
        "source_host": host_of(record.source),
        "target": record.target,
        "target_key": target_key(record.target),
        "protocol": record.protocol,
        "status": record.status,
        "received_at": record.received_at,
        "property": record.property,
        "rsvp": record.rsvp,
        "url": record.url or record.source,
        "name": record.name,
        "summary": record.summary,
        "content_html": html,
        "content_text": text,
        "author_name": record.author_name,
        "author_url": record.author_url,
        "author_photo": record.author_photo,
        "published": record.published,
        "updated": record.updated,
        "in_reply_to": record.target if record.property in ("in-reply-to", "rsvp") else None,
        "origin_format": record.origin_format,
        "origin_id": record.origin_id,
        "private": record.private,
        "extra": dict(record.extra),
    }


def _by_origin(session: Session, site_id: int, records: list[Record]) -> dict[Any, Mention]:
    found: dict[tuple[str, str], Mention] = {}
    for fmt in {r.origin_format for r in records}:
        ids = [r.origin_id for r in records if r.origin_format == fmt]
        query = select(Mention).where(
            Mention.site_id == site_id, Mention.origin_format == fmt, Mention.origin_id.in_(ids)
        )
        found.update(((fmt, m.origin_id or ""), m) for m in session.scalars(query))
    return found


def _store_batch(
    db: Database, site_id: int, site_host: str, batch: list[Record], verify: bool
) -> tuple[Report, list[int], dict[int, tuple[str, str]]]:
    """One transaction: insert the new records, update the changed ones. Returns the report,
    the ids to verify, and the new mentions whose parent is not stored yet."""
    report = Report()
    checked: list[Record] = []
    for record in batch:
        good, reason = _check(record, site_host)
        if good is None:
            report.skip(reason)
        else:
            checked.append(good)
    queued: list[int] = []
    orphans: dict[int, tuple[str, str]] = {}
    if not checked:
        return report, queued, orphans
    with db.session() as session:
        known = _by_origin(session, site_id, checked)
        known_ids = {m.id for m in known.values()}
        # (source, target) is unique: a pair pingsvc received itself, or that came with
        # another origin, stays as it is.
        taken = {
            (source, target)
            for mention_id, source, target in session.execute(
                select(Mention.id, Mention.source, Mention.target).where(
                    Mention.source.in_({r.source for r in checked})
                )
            )
            if mention_id not in known_ids
        }
        seen: set[tuple[str, str]] = set()
        new: list[tuple[dict[str, Any], Record]] = []
        updated: list[int] = []
        now = utcnow()
        for record in checked:
            origin = (record.origin_format, record.origin_id)
            pair = (record.source, record.target)
            if origin in seen or pair in seen:
                report.skip("repeated in the file")
                continue
            seen.update((origin, pair))
            values = columns(record, site_id)
            existing = known.get(origin)
            if existing is not None:
                # Verified here since (--verify): what its page said then is newer than
                # any file's copy of it.
                fresher = existing.verified_at is not None
                changes = {k: values[k] for k in _UPDATABLE if getattr(existing, k) != values[k]}
                if fresher or not changes:
                    report.skip("already imported")
                    continue
                for name, value in changes.items():
                    setattr(existing, name, value)
                report.updated += 1
                updated.append(existing.id)
                continue
            if pair in taken:
                report.skip("already received")
                continue
            values.update(
                changed=False,
                updated_at=now,
                queued_at=now if verify and verifiable(record) else None,
            )
            new.append((values, record))
        new_ids = _insert(session, new)
        parents = _parent_ids(
            session,
            site_id,
            ((r.origin_format, r.parent_origin_id) for _, r in new if r.parent_origin_id),
        )
        threaded: list[dict[str, int]] = []
        links: list[dict[str, Any]] = []
        for mention_id, (values, record) in zip(new_ids, new, strict=True):
            report.imported += 1
            if values["queued_at"] is not None:
                queued.append(mention_id)
            if record.parent_origin_id:
                parent = parents.get((record.origin_format, record.parent_origin_id))
                if parent is not None and parent != mention_id:
                    threaded.append({"id": mention_id, "parent_id": parent})
                else:
                    orphans[mention_id] = (record.origin_format, record.parent_origin_id)
            # Indexed as received mentions are, so later replies to it thread under it.
            for link_key in {relations.key(values["source"]), relations.key(values["url"] or "")}:
                if link_key:
                    links.append({"mention_id": mention_id, "kind": "self", "key": link_key})
        if threaded:
            session.execute(update(Mention), threaded)  # by primary key, executemany
        if links:
            session.execute(insert(MentionLink), links)
        session.flush()
        record_changes(session, new_ids + updated)
        session.commit()
    return report, queued, orphans


def _insert(session: Session, new: list[tuple[dict[str, Any], Record]]) -> list[int]:
    """Insert the new mentions in one executemany (Core: the ORM's per-object bookkeeping
    was most of an import's time) and return their ids, in order. The rows come back in any
    order (asking for parameter order makes SQLite insert row by row): matched by origin,
    unique within a batch."""
    if not new:
        return []
    statement = insert(Mention).returning(Mention.id, Mention.origin_format, Mention.origin_id)
    rows = session.execute(statement, [values for values, _ in new]).all()
    ids = {(fmt, origin): mention_id for mention_id, fmt, origin in rows}
    return [ids[(values["origin_format"], values["origin_id"])] for values, _ in new]


def _parent_ids(
    session: Session, site_id: int, origins: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The ids of the stored mentions with these (format, origin id)s."""
    wanted: dict[str, set[str]] = {}
    for fmt, origin_id in origins:
        wanted.setdefault(fmt, set()).add(origin_id)
    found: dict[tuple[str, str], int] = {}
    for fmt, ids in wanted.items():
        rows = session.execute(
            select(Mention.origin_id, Mention.id).where(
                Mention.site_id == site_id,
                Mention.origin_format == fmt,
                Mention.origin_id.in_(sorted(ids)),
            )
        )
        found.update(((fmt, origin_id or ""), mention_id) for origin_id, mention_id in rows)
    return found


def _adopt(db: Database, site_id: int, orphans: dict[int, tuple[str, str]]) -> None:
    """Thread the replies whose parent came later in the file (or in a later file)."""
    items = list(orphans.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        with db.session() as session:
            parents = _parent_ids(session, site_id, (origin for _, origin in chunk))
            threaded = [
                {"id": mention_id, "parent_id": parents[origin]}
                for mention_id, origin in chunk
                if parents.get(origin, mention_id) != mention_id
            ]
            if threaded:
                session.execute(update(Mention), threaded)
            record_changes(session, [row["id"] for row in threaded])
            session.commit()


def record_changes(session: Session, mention_ids: list[int]) -> None:
    """Tell the change feed of the mentions an import stored, in the same transaction, as
    its last statement before the commit (see pingsvc.changelog)."""
    changelog.record(session, mention_ids)
