"""Webhooks: which notifications a mention's change calls for, their signed JSON bodies, and
sending them through pingsvc.fetch's address guard. No Flask, no Celery: the worker wraps it."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingsvc.api import jf2
from pingsvc.db import Database
from pingsvc.errors import FetchError, HostilePage, RefusedAddress
from pingsvc.fetch.client import make_session
from pingsvc.fetch.deadline import Deadline
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.models import APPROVED, Mention, Webhook, WebhookDelivery, utcnow
from pingsvc.pipeline.steps import RetryLater

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Pingsvc-Signature"
EVENT_HEADER = "X-Pingsvc-Event"
DELIVERY_HEADER = "X-Pingsvc-Delivery"

NEW, UPDATED, DELETED, TEST = "new", "updated", "deleted", "test"
QUEUED, RETRYING, DELIVERED, FAILED = "queued", "retrying", "delivered", "failed"
# Client errors that say "try later" rather than "never".
_RETRY_STATUSES = {408, 409, 425, 429}


@dataclass(frozen=True)
class WebhookSettings:
    policy: FetchPolicy
    max_tries: int = 8
    backoff: float = 10.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WebhookSettings:
        policy = dataclasses.replace(
            FetchPolicy.from_config(config), timeout=float(config["WEBHOOK_TIMEOUT"])
        )
        return cls(
            policy=policy,
            max_tries=int(config["WEBHOOK_MAX_TRIES"]),
            backoff=float(config["WEBHOOK_BACKOFF"]),
        )


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the exact body bytes>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header or "")


def payload(mention: Mention, event: str) -> dict[str, Any]:
    """webmention.io's webhook body (source, target, post in jf2, deleted), without the
    secret, plus pingsvc's event and status."""
    return {
        "source": mention.source,
        "target": mention.target,
        "post": jf2.entry(mention),
        "deleted": event == DELETED,
        "event": event,
        "status": mention.status,
    }


def body_bytes(secret: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"secret": secret, **data}, ensure_ascii=False).encode()


def _event_for(session: Session, hook: Webhook, mention: Mention) -> str | None:
    """new when a mention becomes visible, updated while it stays visible, deleted when a
    mention this webhook was told about stops being visible; None otherwise."""
    last = session.scalar(
        select(WebhookDelivery.event)
        .where(
            WebhookDelivery.webhook_id == hook.id,
            WebhookDelivery.mention_id == mention.id,
            WebhookDelivery.event.in_((NEW, UPDATED, DELETED)),
        )
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    )
    told = last in (NEW, UPDATED)
    if mention.status == APPROVED:
        return UPDATED if told else NEW
    return DELETED if told else None


def plan(session: Session, mention_id: int) -> list[int]:
    """Add the deliveries a mention's current state calls for (flushed; the caller commits,
    in the transaction that takes the mention's outbox mark); their ids."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        return []
    hooks = session.scalars(
        select(Webhook).where(Webhook.site_id == mention.site_id, Webhook.active.is_(True))
    ).all()
    deliveries = []
    for hook in hooks:
        event = _event_for(session, hook, mention)
        if event is not None:
            deliveries.append(queue(session, hook, payload(mention, event), event, mention.id))
    return [d.id for d in deliveries]


def queue(
    session: Session, hook: Webhook, data: dict[str, Any], event: str, mention_id: int | None
) -> WebhookDelivery:
    """Add one delivery row (flushed, not committed)."""
    delivery = WebhookDelivery(
        webhook_id=hook.id,
        mention_id=mention_id,
        event=event,
        payload=data,
        status=QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    return delivery


def test_payload(hook: Webhook) -> dict[str, Any]:
    """A sample body for the "send a test" button: the shape of a real one, marked test."""
    target = f"https://{hook.site.host}/"
    return {
        "source": "https://example.com/pingsvc-webhook-test",
        "target": target,
        "post": {
            "type": "entry",
            "author": {"type": "card", "name": "pingsvc", "photo": "", "url": ""},
            "url": "https://example.com/pingsvc-webhook-test",
            "wm-property": "mention-of",
            "mention-of": target,
            "content": {"text": "A test call from pingsvc.", "html": ""},
        },
        "deleted": False,
        "event": TEST,
        "status": "test",
    }


def resend(session: Session, hook: Webhook, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same body (flushed, not committed): the log keeps both."""
    return queue(session, hook, dict(delivery.payload), delivery.event, delivery.mention_id)


@dataclass(frozen=True)
class Attempt:
    """How one HTTP call went."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry: bool = False


_LATE = "the webhook did not answer in time"


def post(
    url: str, body: bytes, headers: dict[str, str], policy: FetchPolicy, *, session: Any = None
) -> Attempt:
    """POST `body` to `url` through fetch's pinned, address-checked session; never raises."""
    own = session is None
    session = session or make_session(policy)
    # Socket timeouts bound each byte, not the call: a server that drips its headers would
    # hold the worker for as long as it liked. The budget shuts the sockets when it ends.
    deadline = Deadline(policy.timeout)
    try:
        with deadline:
            response = session.request(
                "POST",
                url,
                deadline,
                body=body,
                headers={"Content-Type": "application/json", **headers},
            )
    except RefusedAddress as exc:
        return Attempt(False, error=f"refused: {_webhook_words(exc.reason)}")
    except FetchError as exc:
        # A HostilePage from the request is the time limit's too: the answer came too slowly.
        if deadline.over or isinstance(exc, HostilePage):
            return Attempt(False, error=_LATE, retry=True)
        return Attempt(False, error=_webhook_words(exc.reason), retry=True)
    finally:
        if own:
            session.close()
    status = response.status
    response.close()
    response.release_conn()
    if deadline.over:  # the shut socket read as the end of the headers: no real answer
        return Attempt(False, error=_LATE, retry=True)
    if 200 <= status < 300:
        return Attempt(True, status)
    retry = status >= 500 or status in _RETRY_STATUSES
    return Attempt(False, status, f"the webhook answered {status}", retry=retry)


def _webhook_words(reason: str) -> str:
    # fetch's messages speak of "the source"; here the URL is the owner's webhook.
    return reason.replace("the source", "the webhook")


def deliver(db: Database, delivery_id: int, settings: WebhookSettings) -> str | None:
    """Send one delivery and log the attempt. Returns its new status (None when there is
    nothing to send); raises RetryLater while a transient failure has tries left."""
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in (DELIVERED, FAILED):
            return None
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is None:
            return None
        delivery.attempts += 1
        attempts = delivery.attempts
        url, secret, data = hook.url, hook.secret, dict(delivery.payload)
        event = delivery.event
        session.commit()

    body = body_bytes(secret, data)
    headers = {
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
    }
    attempt = post(url, body, headers, settings.policy)
    retry_in = settings.backoff * 2 ** (attempts - 1)
    if attempt.ok:
        status = DELIVERED
    elif attempt.retry and attempts < settings.max_tries:
        status = RETRYING
    else:
        status = FAILED
    error = attempt.error
    if status == FAILED and attempt.retry:
        error = f"{error} (gave up after {attempts} tries)"
    values: dict[str, Any] = {
        "status": status,
        "response_status": attempt.status,
        "error": error,
        "next_attempt_at": utcnow() + timedelta(seconds=retry_in) if status == RETRYING else None,
    }
    if status == DELIVERED:
        values["delivered_at"] = utcnow()
    with db.session() as session:
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )
        session.commit()
    log.info("webhook delivery %s %s (%s)", delivery_id, status, attempt.error or attempt.status)
    if status == RETRYING:
        raise RetryLater(attempt.error or "webhook failed", retry_in)
    return status


def due_ids(db: Database, older_than: float, limit: int = 1000) -> list[int]:
    """Deliveries whose queued message looks lost: due longer ago than `older_than` seconds."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with db.session() as session:
        ids = session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_((QUEUED, RETRYING)),
                WebhookDelivery.next_attempt_at < cutoff,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        if ids:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(next_attempt_at=utcnow())
            )
            session.commit()
        return list(ids)
