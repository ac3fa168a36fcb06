"""Who may see what in the dashboard: an admin every site, an owner only their own. Every
dashboard lookup goes through here, and a miss is a 404 so that guessed ids learn nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from pingsvc.models import (
    Account,
    BlockRule,
    Mention,
    Outgoing,
    Site,
    Webhook,
    WebhookDelivery,
)


def site_filter(account: Account) -> ColumnElement[bool]:
    """The condition on Site that keeps the sites `account` may see."""
    return true() if account.is_admin else Site.owner_id == account.id


def sites(session: Session, account: Account) -> list[Site]:
    return list(session.scalars(select(Site).where(site_filter(account)).order_by(Site.host)))


def mentions(account: Account) -> Select[Any]:
    """All mentions of the sites `account` may see (filter further and order at the caller)."""
    return select(Mention).join(Site, Mention.site_id == Site.id).where(site_filter(account))


def may_see(account: Account, site: Site) -> bool:
    return account.is_admin or site.owner_id == account.id


def _visible(session: Session, account: Account, site_id: int) -> bool:
    found = session.get(Site, site_id)
    return found is not None and may_see(account, found)


def site(session: Session, account: Account, site_id: int) -> Site:
    found = session.get(Site, site_id)
    if found is None or not may_see(account, found):
        raise NotFound("There is no such site among yours.")
    return found


def mention(session: Session, account: Account, mention_id: int) -> Mention:
    found = session.get(Mention, mention_id)
    if found is None or not _visible(session, account, found.site_id):
        raise NotFound("There is no such mention on your sites.")
    return found


def mentions_by_id(session: Session, account: Account, ids: list[int]) -> list[Mention]:
    """Every one of `ids`, or a 404 when any is missing or not yours (nothing half-done)."""
    found = list(session.scalars(mentions(account).where(Mention.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise NotFound("Some of the selected mentions are not on your sites.")
    return found


def webhook(session: Session, account: Account, webhook_id: int) -> Webhook:
    found = session.get(Webhook, webhook_id)
    if found is None or not _visible(session, account, found.site_id):
        raise NotFound("There is no such webhook on your sites.")
    return found


def delivery(session: Session, account: Account, delivery_id: int) -> WebhookDelivery:
    found = session.get(WebhookDelivery, delivery_id)
    if found is None:
        raise NotFound("There is no such webhook delivery on your sites.")
    webhook(session, account, found.webhook_id)
    return found


def outgoing(session: Session, account: Account, outgoing_id: int) -> Outgoing:
    found = session.get(Outgoing, outgoing_id)
    if found is None or not _visible(session, account, found.site_id):
        raise NotFound("There is no such send for your sites.")
    return found


def block_rule(session: Session, account: Account, rule_id: int) -> BlockRule:
    found = session.get(BlockRule, rule_id)
    if found is None or found.site_id is None and not account.is_admin:
        raise NotFound("There is no such block rule on your sites.")
    if found.site_id is not None:
        site(session, account, found.site_id)
    return found


def site_by_host(session: Session, account: Account, host: str) -> Site:
    found = session.scalar(select(Site).where(Site.host == host))
    if found is None or not may_see(account, found):
        raise NotFound(f"{host} is not one of your sites.")
    return found
