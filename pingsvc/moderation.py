"""Moderation rules applied at verification time: block lists and each site's policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingsvc.models import APPROVED, HELD, BlockRule, Mention, Site
from pingsvc.urls import host_of

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
    """approved or held, by the site's policy, for a mention whose link was verified."""
    if mention.status in (APPROVED, HELD):
        return mention.status  # an update keeps the owner's (or the policy's) earlier decision
    site = session.get(Site, mention.site_id)
    policy = site.policy if site else "publish"
    if policy == "hold_all":
        return HELD
    if policy == "hold_new" and not _domain_approved_before(session, mention):
        return HELD
    return APPROVED
