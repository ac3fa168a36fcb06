"""E-mail notifications: one message to the site's owner per new mention, through the SMTP
server in PINGSVC_SMTP_*. No Flask, no Celery: the worker's task wraps `email_mention`."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from pingsvc.api.jf2 import type_key
from pingsvc.db import Database
from pingsvc.models import APPROVED, HELD, Mention, Site, utcnow

log = logging.getLogger(__name__)

SECURITY = ("none", "starttls", "ssl")
_EXCERPT = 500


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "pingsvc@localhost"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmtpSettings | None:
        """The SMTP server to use, or None when e-mail is off (no PINGSVC_SMTP_HOST)."""
        if not config.get("SMTP_HOST"):
            return None
        security = str(config["SMTP_SECURITY"]).lower()
        if security not in SECURITY:
            raise ValueError(f"PINGSVC_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
        return cls(
            host=str(config["SMTP_HOST"]),
            port=int(config["SMTP_PORT"]),
            security=security,
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            sender=str(config["SMTP_FROM"]),
            timeout=float(config["SMTP_TIMEOUT"]),
        )


def compose(mention: Mention, site: Site, recipient: str, base_url: str) -> EmailMessage:
    """The message about one mention: plain text, so nothing from the source page renders."""
    kind = type_key(mention)
    who = mention.author_name or mention.source_host or "someone"
    waiting = mention.status == HELD
    message = EmailMessage()
    message["Subject"] = _one_line(
        f"[{site.host}] new {kind} from {who}" + (" (waiting for review)" if waiting else "")
    )
    message["To"] = recipient
    excerpt = (mention.content_text or mention.summary or mention.name or "").strip()
    if len(excerpt) > _EXCERPT:
        excerpt = excerpt[:_EXCERPT].rstrip() + "…"
    lines = [
        f"A new {kind} arrived for {mention.target}",
        "",
        f"From:   {who}" + (f" <{mention.author_url}>" if mention.author_url else ""),
        f"Source: {mention.source}",
        f"State:  {mention.status}" + (" (not shown until you approve it)" if waiting else ""),
        "",
        *([excerpt, ""] if excerpt else []),
        f"Review it: {base_url}/dashboard/mentions/{mention.id}",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Hand `message` to the SMTP server; raises smtplib/OSError errors for the caller's retry."""
    del message["From"]  # a retry sends the same message object again
    message["From"] = smtp.sender
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)


def email_mention(
    db: Database, mention_id: int, smtp: SmtpSettings | None, base_url: str
) -> str | None:
    """E-mail the owner about a newly verified mention, once; returns the recipient, or None
    when there is nothing to send (e-mail off for the site, no owner, not new, already sent)."""
    if smtp is None:
        return None
    with db.session() as session:
        mention = session.get(Mention, mention_id)
        if mention is None or mention.emailed_at is not None:
            return None
        if mention.status not in (APPROVED, HELD):
            return None
        site = session.get(Site, mention.site_id)
        if site is None or not site.email_notify or site.owner is None:
            return None
        recipient = site.owner.email
        message = compose(mention, site, recipient, base_url)
    send(message, smtp)
    with db.session() as session:
        session.execute(update(Mention).where(Mention.id == mention_id).values(emailed_at=utcnow()))
        session.commit()
    log.info("e-mailed %s about mention %s", recipient, mention_id)
    return recipient


def wants_email(session: Session, mention_id: int) -> bool:
    """Cheap check before queueing an e-mail task: site opted in and mention not yet e-mailed."""
    mention = session.get(Mention, mention_id)
    if mention is None or mention.emailed_at is not None:
        return False
    site = session.get(Site, mention.site_id)
    return bool(site and site.email_notify and site.owner_id)
