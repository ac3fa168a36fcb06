"""Moderation: the rules applied at verification time (block lists, each site's policy, the
owner's earlier decisions) and the owner's own actions, each recorded in the moderation log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, FromClause, ScalarSelect, bindparam, exists, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from pingsvc import spam
from pingsvc.errors import PingError
from pingsvc.models import (
    APPROVED,
    COMMENT,
    DELETED,
    HELD,
    REJECTED,
    Account,
    BlockRule,
    Mention,
    ModerationAction,
    Site,
    SpamToken,
    utcnow,
)
from pingsvc.urls import host_of, normalize_url

POLICIES = {
    "publish": "publish every verified mention",
    "hold_new": "hold mentions from domains never approved before",
    "hold_all": "hold every mention for review",
}
# The owner's decisions on one mention, and the state each one sets.
DECISIONS = {"approve": APPROVED, "hold": HELD, "reject": REJECTED, "delete": DELETED}
# "author" blocks an author URL: known only once the source is fetched, so it is checked at
# verification (the mention ends deleted), not when the webmention arrives.
BLOCK_KINDS = ("domain", "url", "author")


def source_domains(source: str) -> list[str]:
    """The source's host and its parent domains (not the bare TLD): what a domain rule names."""
    host = host_of(source)
    parts = host.split(".")
    return sorted({host, *(".".join(parts[i:]) for i in range(1, len(parts) - 1))})


def blocking_rule(site_id: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
    """Whether a block rule refuses the source bound as `source` (its `source_domains` bound
    as `domains`) on the site `site_id` or on every site, as a correlated EXISTS."""
    return exists().where(
        (BlockRule.site_id == site_id) | BlockRule.site_id.is_(None),
        ((BlockRule.kind == "domain") & BlockRule.value.in_(bindparam("domains", expanding=True)))
        | ((BlockRule.kind == "url") & (BlockRule.value == bindparam("source"))),
    )


def author_rule(site_id: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
    """Whether a block rule refuses the author URL whose `author_variants` are bound as
    `authors` (checked at verification, when the author is known), as a correlated EXISTS."""
    return exists().where(
        (BlockRule.site_id == site_id) | BlockRule.site_id.is_(None),
        BlockRule.kind == "author",
        BlockRule.value.in_(bindparam("authors", expanding=True)),
    )


def author_variants(author_url: str | None) -> list[str]:
    """The forms an author URL is matched in: as given, and with or without its trailing
    slash (`https://ada.example` and `https://ada.example/` are one author)."""
    if not author_url:
        return [""]  # an empty IN list is not portable; no rule has an empty value
    bare = author_url.rstrip("/")
    return sorted({author_url, bare, f"{bare}/"})


def owner_decision(mention_id: ColumnElement[int]) -> ScalarSelect[str]:
    """The owner's last decision on the mention (approve, hold...), which a re-verification
    keeps; NULL when there is none."""
    return (
        select(ModerationAction.action)
        .where(ModerationAction.mention_id == mention_id, ModerationAction.action.in_(DECISIONS))
        .order_by(ModerationAction.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def approved_before(mention: FromClause) -> ColumnElement[bool]:
    """Whether another mention from the same source host was approved on the site: what the
    hold_new policy asks (`mention` is the mention table or an alias of it)."""
    earlier = aliased(Mention)
    return exists().where(
        earlier.site_id == mention.c.site_id,
        earlier.source_host == mention.c.source_host,
        earlier.status == APPROVED,
        earlier.id != mention.c.id,
    )


@dataclass(frozen=True)
class Standing:
    """What the verdict on a verified mention depends on, read in one query at store time."""

    status: str  # the mention's state before this verification
    blocked: bool
    decision: str | None  # the owner's last decision (an action in DECISIONS)
    policy: str | None  # the site's policy; None if the site is gone
    approved_before: bool | None  # read only for the hold_new policy
    vouched: bool = False  # a vouch from a trusted domain counted for it (pipeline.vouch)


def verdict(standing: Standing) -> str:
    """The state of a mention whose link was verified: deleted when its source is blocked,
    the owner's last decision when there is one, else approved or held by the site's policy."""
    if standing.blocked:
        return DELETED
    if standing.decision is not None:
        return DECISIONS[standing.decision]
    if standing.status in (APPROVED, HELD):
        return standing.status  # an update keeps the owner's (or the policy's) earlier decision
    policy = standing.policy or "publish"
    if policy == "hold_all":
        return HELD
    if policy == "hold_new" and not standing.approved_before and not standing.vouched:
        return HELD
    return APPROVED


def record(
    session: Session,
    actor: Account | None,
    action: str,
    *,
    site_id: int | None,
    mention_id: int | None = None,
    detail: str | None = None,
) -> ModerationAction:
    """Add one line to the moderation log (who, when, what); the caller commits."""
    entry = ModerationAction(
        account_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        site_id=site_id,
        mention_id=mention_id,
        action=action,
        detail=detail,
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


def decide(session: Session, actor: Account, mention: Mention, action: str) -> bool:
    """Apply approve, hold, reject or delete; True when the mention's state changed."""
    if action not in DECISIONS:
        raise PingError(f"Unknown action {action!r}; use one of {', '.join(DECISIONS)}.")
    status = DECISIONS[action]
    changed = mention.status != status
    detail = f"{mention.status} -> {status}"
    mention.status = status
    if status == DELETED:
        _drop_avatar(session, mention)
    if changed:
        _mark_for_notification(mention)
    record(session, actor, action, site_id=mention.site_id, mention_id=mention.id, detail=detail)
    return changed


def report_spam(session: Session, actor: Account, mention: Mention) -> bool:
    """Reject the mention as spam and teach its site's scorer its words (pingsvc.spam), both
    in the moderation log; True when the mention's state changed. The caller commits."""
    changed = decide(session, actor, mention, "reject")
    texts = [mention.name or "", mention.summary or "", mention.content_text or ""]
    words = spam.report_words(texts)
    rows = session.scalars(
        select(SpamToken).where(SpamToken.site_id == mention.site_id, SpamToken.token.in_(words))
    )
    known = {row.token: row for row in rows}
    for word in words:
        if word in known:
            known[word].reports += 1
        else:
            session.add(SpamToken(site_id=mention.site_id, token=word, reports=1))
    record(
        session,
        actor,
        "spam",
        site_id=mention.site_id,
        mention_id=mention.id,
        detail=f"reported as spam; the scorer learned {len(words)} word(s)",
    )
    return changed


# session.info's list of the avatar keys deleted mentions stopped showing: once the session
# commits, the caller deletes the files no other mention shows (pingsvc.avatars.usage).
DROPPED_AVATARS = "pingsvc.dropped_avatars"


def _drop_avatar(session: Session, mention: Mention) -> None:
    if mention.avatar_key:
        session.info.setdefault(DROPPED_AVATARS, []).append(mention.avatar_key)
        mention.avatar_key = None


def _mark_for_notification(mention: Mention) -> None:
    """Leave the notification outbox mark in the decision's own transaction (an earlier mark
    not yet taken stays): webhooks and e-mail hear of it even if the broker is down."""
    mention.notify_queued_at = mention.notify_queued_at or utcnow()


def reverify(session: Session, actor: Account, mention: Mention) -> bool:
    """Queue a fresh verification (the caller enqueues it after committing); False for an
    imported WordPress comment, which has no source page to verify."""
    if mention.protocol == COMMENT:
        return False
    mention.queued_at = utcnow()
    mention.attempts = 0
    record(session, actor, "reverify", site_id=mention.site_id, mention_id=mention.id)
    return True


def block_value(kind: str, value: str) -> str:
    """The stored form of a block: a lower-case host for a domain, a normal URL for a URL."""
    value = (value or "").strip()
    if kind == "url":
        return normalize_url(value, "source")
    if kind == "author":
        return normalize_url(value, "author")
    if kind != "domain":
        raise PingError(
            "Block a source domain or a source URL (or an author URL).", code="invalid_block"
        )
    if not value:
        raise PingError("Give the domain to block, such as spam.example.", code="invalid_block")
    if "://" not in value:
        value = f"http://{value}"
    host = host_of(normalize_url(value, "source"))
    if not host or "." not in host.strip("[]"):
        raise PingError("Give a domain name such as spam.example.", code="invalid_block")
    return host


def _blocked_mentions(session: Session, site_id: int, kind: str, value: str) -> list[Mention]:
    query = select(Mention).where(Mention.site_id == site_id)
    if kind == "url":
        query = query.where(Mention.source == value)
    elif kind == "author":
        query = query.where(Mention.author_url.in_(author_variants(value)))
    else:
        query = query.where(
            (Mention.source_host == value) | Mention.source_host.endswith(f".{value}")
        )
    return list(session.scalars(query))


def block(
    session: Session, actor: Account | None, site: Site, kind: str, value: str
) -> tuple[BlockRule, list[int]]:
    """Refuse a source domain or URL on this site from now on, and delete the mentions it
    already sent. Returns the rule and the ids of the mentions whose state changed."""
    value = block_value(kind, value)
    rule = session.scalar(
        select(BlockRule).where(
            BlockRule.site_id == site.id, BlockRule.kind == kind, BlockRule.value == value
        )
    )
    if rule is None:
        rule = BlockRule(site_id=site.id, kind=kind, value=value, created_at=utcnow())
        session.add(rule)
    changed = []
    for mention in _blocked_mentions(session, site.id, kind, value):
        if mention.status != DELETED:
            changed.append(mention.id)
            _mark_for_notification(mention)
        mention.status = DELETED
        _drop_avatar(session, mention)
        mention.queued_at = None
        mention.error = f"the site's owner blocked this source ({kind} {value})"
    record(
        session,
        actor,
        "block",
        site_id=site.id,
        detail=f"{kind} {value}; {len(changed)} mention(s) deleted",
    )
    session.flush()
    return rule, changed


def unblock(session: Session, actor: Account, rule: BlockRule) -> None:
    """Accept mentions from this source again (the ones deleted by the block stay deleted)."""
    record(session, actor, "unblock", site_id=rule.site_id, detail=f"{rule.kind} {rule.value}")
    session.delete(rule)


def set_policy(
    session: Session, actor: Account, site: Site, policy: str, require_vouch: bool | None = None
) -> None:
    """Change what happens to this site's verified mentions from now on; `require_vouch`
    (when given): answer 449 to webmentions from never-approved domains without a vouch."""
    if policy not in POLICIES:
        raise PingError(f"Choose a policy: {', '.join(POLICIES)}.", code="invalid_policy")
    if policy != site.policy:
        record(session, actor, "policy", site_id=site.id, detail=f"{site.policy} -> {policy}")
        site.policy = policy
    if require_vouch is not None and require_vouch != site.require_vouch:
        detail = "vouch required" if require_vouch else "vouch not required"
        record(session, actor, "policy", site_id=site.id, detail=detail)
        site.require_vouch = require_vouch


def set_spam_threshold(session: Session, actor: Account, site: Site, raw: str) -> None:
    """Hold this site's mentions whose spam score reaches `raw` (0-101; 101 never holds)."""
    try:
        threshold = int(raw.strip())
    except ValueError:
        threshold = -1
    if not 0 <= threshold <= spam.NEVER:
        raise PingError(
            "Give the spam threshold as a whole number from 0 to 101 (101: never hold).",
            code="invalid_threshold",
        )
    if threshold != site.spam_threshold:
        detail = f"spam threshold {site.spam_threshold} -> {threshold}"
        record(session, actor, "spam_threshold", site_id=site.id, detail=detail)
        site.spam_threshold = threshold
