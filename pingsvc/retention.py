"""Retention and erasure: each site's rules for how long rejected and deleted mentions are
kept, and "forget" (erase every field a source or an author gave us, and block it).

A tombstone is what is left of an erased mention: its source, target, state and pingsvc's
own dates (received, verified, updated). Everything the source page said (content, title,
author, photo, dates it gave, `extra`) is gone, and so are the hashed links that tied it into
threads and the copies of its entry in the webhook delivery log. The row stays so that the
change feed, the status endpoint and webhooks go on saying "deleted", and so that a re-sent
mention of the pair is recognised rather than stored afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from pingsvc import changelog, moderation
from pingsvc.errors import PingError
from pingsvc.models import (
    DELETED,
    REJECTED,
    Account,
    BlockRule,
    Mention,
    MentionLink,
    Site,
    WebhookDelivery,
    utcnow,
)

# What the source page gave us: erased to make a tombstone, and by "forget".
ERASED_COLUMNS = (
    "name", "summary", "content_html", "content_text", "author_name", "author_url",
    "author_photo", "url", "published", "updated", "in_reply_to", "rsvp", "content_hash",
)  # fmt: skip
# How many mentions one retention transaction deletes or erases (a run loops until done),
# so a first run over years of data never holds the site's rows for long.
BATCH = 500
# The longest rule a site can set (about 100 years); longer is a typing mistake.
MAX_DAYS = 36500


@dataclass(frozen=True)
class Erased:
    """One mention just erased, as it was: what a store of derived files (the avatar
    archive) needs to drop its copies."""

    mention_id: int
    site_id: int
    author_photo: str | None
    avatar_key: str | None = None  # the archived avatar it showed (pingsvc.avatars)


# Called after the commit with the mentions erased or deleted (an empty list never): the
# avatar store (issue 19, part 1) registers one in app.extensions[ERASE_HOOKS] to delete
# the files it keeps for them. A hook must not raise; the erasure is already committed.
EraseHook = Callable[[Sequence[Erased]], None]
ERASE_HOOKS = "pingsvc_erase_hooks"


def erase_hooks(extensions: dict[str, Any]) -> list[EraseHook]:
    """The hooks registered on the app (`app.extensions`), a list the caller may append to."""
    hooks: list[EraseHook] = extensions.setdefault(ERASE_HOOKS, [])
    return hooks


def _call_hooks(hooks: Iterable[EraseHook], erased: list[Erased]) -> None:
    if erased:
        for hook in hooks:
            hook(erased)


def check_days(raw: object, what: str) -> int:
    """A whole number of days between 0 (keep forever) and MAX_DAYS, or a clear error."""
    text = str(raw if raw is not None else "").strip() or "0"
    try:
        days = int(text)
    except ValueError:
        raise PingError(f"{what}: give a whole number of days (0 keeps forever).") from None
    if not 0 <= days <= MAX_DAYS:
        raise PingError(f"{what}: give a number of days from 0 (keep forever) to {MAX_DAYS}.")
    return days


def set_rules(
    session: Session, actor: Account | None, site: Site, rejected_days: int, deleted_days: int
) -> bool:
    """Change the site's retention rules (logged); the caller commits. True if they changed."""
    before = (site.retain_rejected_days, site.retain_deleted_days)
    if before == (rejected_days, deleted_days):
        return False
    site.retain_rejected_days, site.retain_deleted_days = rejected_days, deleted_days
    moderation.record(
        session, actor, "retention", site_id=site.id,
        detail=f"rejected: {describe_days(rejected_days)}; deleted: {describe_days(deleted_days)}",
    )  # fmt: skip
    return True


def describe_days(days: int) -> str:
    return "kept forever" if days == 0 else f"kept {days} day(s)"


def _has_content() -> Any:
    """Whether a mention still holds anything its source gave (not yet a tombstone)."""
    columns = [getattr(Mention, name).is_not(None) for name in ERASED_COLUMNS]
    # JSON written by SQLAlchemy reads back as "{}" on both databases when empty.
    return or_(*columns, cast(Mention.extra, String).not_in(("{}", "null")))


def _lock(session: Session, ids: list[int]) -> None:
    """Take the row locks (PostgreSQL) of the mentions and of their replies and copies before
    changelog.record takes the site's feed lock, so the writes after it wait for nobody."""
    session.execute(
        select(Mention.id)
        .where(Mention.id.in_(ids) | Mention.parent_id.in_(ids) | Mention.duplicate_of_id.in_(ids))
        .with_for_update()
    )


def _erase(session: Session, ids: list[int]) -> list[Erased]:
    """Make tombstones of these mentions (in the caller's transaction)."""
    if not ids:
        return []
    rows = session.execute(
        select(Mention.id, Mention.site_id, Mention.author_photo, Mention.avatar_key).where(
            Mention.id.in_(ids)
        )
    ).all()
    values: dict[str, Any] = dict.fromkeys(ERASED_COLUMNS)
    session.execute(
        update(Mention)
        .where(Mention.id.in_(ids))
        .values(**values, extra={}, parent_id=None, avatar_key=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(MentionLink).where(MentionLink.mention_id.in_(ids)))
    _scrub_deliveries(session, ids)
    session.expire_all()  # the ORM's copies of the mentions are stale after the UPDATE
    return [Erased(row.id, row.site_id, row.author_photo, row.avatar_key) for row in rows]


def _scrub_deliveries(session: Session, ids: list[int]) -> None:
    """The delivery log keeps each webhook body: its copy of the mention's entry goes."""
    for delivery in session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.mention_id.in_(ids))
    ):
        delivery.payload = {**(delivery.payload or {}), "post": {}}
    session.flush()


@dataclass
class SiteRun:
    """What one retention run did on one site."""

    host: str
    deleted: int = 0  # rejected mentions deleted
    erased: int = 0  # deleted mentions made tombstones

    def describe(self) -> str:
        return (
            f"{self.host}: deleted {self.deleted} rejected mention(s), erased the content "
            f"of {self.erased} deleted mention(s)"
        )


def run(
    session: Session, now: datetime | None = None, hooks: Iterable[EraseHook] = ()
) -> list[SiteRun]:
    """Apply every site's retention rules: rejected mentions whose verdict is older than the
    site's days are deleted, deleted ones older than its days are erased to tombstones. A
    mention being verified again is left for the next run. Commits a batch at a time."""
    now = now or utcnow()
    hooks = list(hooks)
    sites = session.scalars(
        select(Site)
        .where((Site.retain_rejected_days > 0) | (Site.retain_deleted_days > 0))
        .order_by(Site.id)
    ).all()
    done = []
    for site in sites:
        result = SiteRun(site.host)
        site_id, rejected, deleted = site.id, site.retain_rejected_days, site.retain_deleted_days
        while rejected and (
            n := _delete_rejected(session, site_id, now - timedelta(rejected), hooks)
        ):
            result.deleted += n
        while deleted and (
            erased := _erase_deleted(session, site_id, now - timedelta(deleted), hooks)
        ):
            result.erased += erased
        done.append(result)
    return done


def _due(site_id: int, status: str, before: datetime) -> Any:
    return (
        select(Mention.id)
        .where(
            Mention.site_id == site_id,
            Mention.status == status,
            Mention.updated_at < before,
            Mention.queued_at.is_(None),
        )
        .order_by(Mention.id)
        .limit(BATCH)
    )


def _delete_rejected(
    session: Session, site_id: int, before: datetime, hooks: list[EraseHook]
) -> int:
    ids = list(session.scalars(_due(site_id, REJECTED, before)))
    if not ids:
        return 0
    _lock(session, ids)
    gone = [
        Erased(row.id, row.site_id, row.author_photo, row.avatar_key)
        for row in session.execute(
            select(Mention.id, Mention.site_id, Mention.author_photo, Mention.avatar_key).where(
                Mention.id.in_(ids)
            )
        )
    ]
    _scrub_deliveries(session, ids)  # the log's rows outlive the mention (mention_id NULL)
    # Recorded while the rows exist (record reads them); the feed then answers "delete",
    # since the mention is gone. The foreign keys clear the replies' parent_id, the links
    # and the log's mention_id.
    changelog.record(session, ids)
    session.execute(delete(Mention).where(Mention.id.in_(ids)))
    session.commit()
    _call_hooks(hooks, gone)
    return len(ids)


def _erase_deleted(session: Session, site_id: int, before: datetime, hooks: list[EraseHook]) -> int:
    ids = list(session.scalars(_due(site_id, DELETED, before).where(_has_content())))
    if not ids:
        return 0
    _lock(session, ids)
    erased = _erase(session, ids)
    changelog.record(session, ids)  # last before the commit: see pingsvc.changelog
    session.commit()
    _call_hooks(hooks, erased)
    return len(ids)


FORGET_KINDS = ("domain", "author")


@dataclass
class Forgotten:
    """What "forget" did: the block rule it keeps and the mentions it erased."""

    rule: BlockRule
    erased: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # the ones that were not deleted before

    def describe(self) -> str:
        return (
            f"forgot {self.rule.kind} {self.rule.value}: erased {len(self.erased)} "
            f"mention(s); it stays blocked"
        )


def _matching(session: Session, site_id: int, kind: str, value: str) -> list[int]:
    query = select(Mention.id).where(Mention.site_id == site_id)
    if kind == "author":
        query = query.where(Mention.author_url.in_(moderation.author_variants(value)))
    else:
        query = query.where(
            (Mention.source_host == value) | Mention.source_host.endswith(f".{value}")
        )
    return list(session.scalars(query))


def forget(
    session: Session,
    actor: Account | None,
    site: Site,
    kind: str,
    value: str,
    hooks: Iterable[EraseHook] = (),
) -> Forgotten:
    """Erase every field stored from a source domain (and its subdomains) or from an author
    URL on this site, keep a block rule so nothing from it is stored again, log it, record
    the changes in the feed and commit; then call the erase hooks."""
    if kind not in FORGET_KINDS:
        raise PingError("Forget a source domain or an author URL.", code="invalid_forget")
    value = moderation.block_value(kind, value)
    ids = _matching(session, site.id, kind, value)
    if ids:
        _lock(session, ids)
    found = select(Mention.id, Mention.avatar_key).where(Mention.id.in_(ids))
    avatars = {row.id: row.avatar_key for row in session.execute(found)}
    # The block deletes what came from it (and marks those for webhooks and e-mail).
    rule, changed = moderation.block(session, actor, site, kind, value)
    session.info.pop(moderation.DROPPED_AVATARS, None)  # the hooks below release them
    erased = [
        Erased(e.mention_id, e.site_id, e.author_photo, avatars.get(e.mention_id))
        for e in _erase(session, ids)
    ]
    moderation.record(
        session, actor, "forget", site_id=site.id,
        detail=f"{kind} {value}; {len(ids)} mention(s) erased",
    )  # fmt: skip
    session.flush()
    changelog.record(session, ids)  # last before the commit: see pingsvc.changelog
    session.commit()
    _call_hooks(hooks, erased)
    return Forgotten(rule, ids, changed)
