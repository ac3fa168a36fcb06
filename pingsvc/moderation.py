"""Moderation: the rules applied at verification time (block lists, each site's policy, the
owner's earlier decisions) and the owner's own actions, each recorded in the moderation log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingsvc.errors import PingError
from pingsvc.models import (
    APPROVED,
    DELETED,
    HELD,
    REJECTED,
    Account,
    BlockRule,
    Mention,
    ModerationAction,
    Site,
    utcnow,
)
from pingsvc.urls import host_of, normalize_url

POLICIES = {
    "publish": "publish every verified mention",
    "hold_new": "hold mentions from domains never approved before",
    "hold_all": "hold every mention for review",
}


def blocking_rule(session: Session, site_id: int, source: str) -> BlockRule | None:
    """The block rule that refuses `source` on this site (or on every site), if any."""
    host = host_of(source)
    domains = {host}
    parts = host.split(".")
    domains.update(".".join(parts[i:]) for i in range(1, len(parts) - 1))
    return session.scalars(
        select(BlockRule)
        .where((BlockRule.site_id == site_id) | BlockRule.site_id.is_(None))
        .where(
            ((BlockRule.kind == "domain") & BlockRule.value.in_(domains))
            | ((BlockRule.kind == "url") & (BlockRule.value == source))
        )
        .limit(1)
    ).first()


def _domain_approved_before(session: Session, mention: Mention) -> bool:
    found = session.scalar(
        select(Mention.id)
        .where(
            Mention.site_id == mention.site_id,
            Mention.source_host == mention.source_host,
            Mention.status == APPROVED,
            Mention.id != mention.id,
        )
        .limit(1)
    )
    return found is not None


def verdict(session: Session, mention: Mention) -> str:
    """The state of a mention whose link was verified: deleted when its source is blocked,
    the owner's last decision when there is one, else approved or held by the site's policy."""
    if blocking_rule(session, mention.site_id, mention.source) is not None:
        return DELETED
    decided = owner_decision(session, mention.id)
    if decided is not None:
        return decided
    if mention.status in (APPROVED, HELD):
        return mention.status  # an update keeps the owner's (or the policy's) earlier decision
    site = session.get(Site, mention.site_id)
    policy = site.policy if site else "publish"
    if policy == "hold_all":
        return HELD
    if policy == "hold_new" and not _domain_approved_before(session, mention):
        return HELD
    return APPROVED


# The owner's decisions on one mention, and the state each one sets.
DECISIONS = {"approve": APPROVED, "hold": HELD, "reject": REJECTED, "delete": DELETED}
BLOCK_KINDS = ("domain", "url")


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


def owner_decision(session: Session, mention_id: int) -> str | None:
    """The state the owner last chose for this mention, which a re-verification keeps."""
    action = session.scalar(
        select(ModerationAction.action)
        .where(
            ModerationAction.mention_id == mention_id,
            ModerationAction.action.in_(DECISIONS),
        )
        .order_by(ModerationAction.id.desc())
        .limit(1)
    )
    return DECISIONS.get(action) if action else None


def decide(session: Session, actor: Account, mention: Mention, action: str) -> bool:
    """Apply approve, hold, reject or delete; True when the mention's state changed."""
    if action not in DECISIONS:
        raise PingError(f"Unknown action {action!r}; use one of {', '.join(DECISIONS)}.")
    status = DECISIONS[action]
    changed = mention.status != status
    detail = f"{mention.status} -> {status}"
    mention.status = status
    record(session, actor, action, site_id=mention.site_id, mention_id=mention.id, detail=detail)
    return changed


def reverify(session: Session, actor: Account, mention: Mention) -> None:
    """Queue a fresh verification (the caller enqueues it after committing)."""
    mention.queued_at = utcnow()
    mention.attempts = 0
    record(session, actor, "reverify", site_id=mention.site_id, mention_id=mention.id)


def block_value(kind: str, value: str) -> str:
    """The stored form of a block: a lower-case host for a domain, a normal URL for a URL."""
    value = (value or "").strip()
    if kind == "url":
        return normalize_url(value, "source")
    if kind != "domain":
        raise PingError("Block a source domain or a source URL.", code="invalid_block")
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
    else:
        query = query.where(
            (Mention.source_host == value) | Mention.source_host.endswith(f".{value}")
        )
    return list(session.scalars(query))


def block(
    session: Session, actor: Account, site: Site, kind: str, value: str
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
        mention.status = DELETED
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


def set_policy(session: Session, actor: Account, site: Site, policy: str) -> None:
    """Change what happens to this site's verified mentions from now on."""
    if policy not in POLICIES:
        raise PingError(f"Choose a policy: {', '.join(POLICIES)}.", code="invalid_policy")
    if policy != site.policy:
        record(session, actor, "policy", site_id=site.id, detail=f"{site.policy} -> {policy}")
        site.policy = policy
