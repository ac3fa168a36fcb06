"""One delivery try of a queued send: claim it (a few per receiving host at once), deliver,
then retry with backoff (a 429's Retry-After honoured) or write the final status, count it
and call the sender's callback. No Flask, no Celery: worker.tasks wraps it."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any
from urllib.parse import urlencode

from pingsvc import metrics
from pingsvc.db import Database
from pingsvc.fetch.client import Session, make_session
from pingsvc.models import ERROR, Outgoing
from pingsvc.notify import webhooks
from pingsvc.pipeline.steps import RetryLater
from pingsvc.send import store
from pingsvc.send.deliver import Delivery, deliver
from pingsvc.send.post import SendSettings

log = logging.getLogger(__name__)

_local = threading.local()


def _session(settings: SendSettings) -> Session:
    """One keep-alive session per worker thread and policy: many targets on one host (a
    post citing one blog's pages) reuse a connection. Each stays behind the address guard."""
    cached = getattr(_local, "session", None)
    if cached is None or cached[0] != settings.policy:
        cached = (settings.policy, make_session(settings.policy))
        _local.session = cached
    return cached[1]


def retry_countdown(attempts: int, retry_after: float | None, settings: SendSettings) -> float:
    """Seconds before try `attempts + 1`: the receiver's Retry-After when it gave one (at most
    PINGSVC_SEND_RETRY_AFTER_MAX, so a huge value can't park the message for days), else
    the backoff, doubling each try. Pure."""
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), settings.retry_after_max)
    return float(settings.backoff * 2 ** (attempts - 1))


def extra_fields(db: Database, claim: store.Claim) -> dict[str, str]:
    """What goes with the webmention besides source and target: a private post's code and
    realm (Private Webmention), and a vouch when pingsvc knows one (Vouch)."""
    fields: dict[str, str] = {}
    if claim.code:
        fields["code"] = claim.code
        if claim.realm:
            fields["realm"] = claim.realm
    vouch = store.vouch_for(db, claim)
    if vouch is not None:
        fields["vouch"] = vouch
    return fields


def deliver_one(
    db: Database,
    outgoing_id: int,
    settings: SendSettings,
    session: Session | None = None,
) -> str | None:
    """Try one queued send. Returns its final status (None when there was nothing to do);
    raises RetryLater while a transient failure has tries left, or while its receiving host
    already has its share of requests running."""
    try:
        claim = store.claim(db, outgoing_id, lease=settings.lease, per_host=settings.per_host)
    except store.HostBusy as busy:
        raise RetryLater(str(busy), busy.countdown) from busy
    if claim is None:
        return None
    if claim.attempts > settings.max_tries:  # the tries before died or failed on our side
        stopped = Delivery(
            "error", None, None, None,
            f"{claim.attempts - 1} tries ended without a result (their worker stopped, "
            "or failed on pingsvc's side); gave up",
        )  # fmt: skip
        return _finish(db, claim, stopped, ERROR, settings)
    try:
        delivery = deliver(
            claim.source,
            claim.target,
            settings.policy,
            session or _session(settings),
            limits=settings.parse,
            fields=extra_fields(db, claim),
        )
    except Exception:
        # Not the receiver's doing (a bug, the database): the send stays queued for a later try.
        store.release(db, outgoing_id)
        raise
    attempts = claim.attempts
    if delivery.status == "retry":
        if attempts < settings.max_tries:
            countdown = retry_countdown(attempts, delivery.retry_after, settings)
            note = (
                f"{delivery.summary} (try {attempts} of {settings.max_tries}; "
                f"next in {countdown:.0f} s)"
            )
            if not store.note_retry(db, outgoing_id, note, countdown, attempts=attempts):
                return None  # sent again meanwhile: that send's message takes over
            log.info("send %s to %s: %s", outgoing_id, claim.target, note)
            raise RetryLater(delivery.summary, countdown)
        return _finish(db, claim, delivery, ERROR, settings, gave_up=attempts)
    return _finish(db, claim, delivery, delivery.status, settings)


def _finish(
    db: Database,
    claim: store.Claim,
    delivery: Delivery,
    status: str,
    settings: SendSettings,
    *,
    gave_up: int | None = None,
) -> str | None:
    summary = delivery.summary
    if gave_up is not None:
        summary = f"{summary} (gave up after {gave_up} tries)"
    outgoing_id = claim.id
    row = store.finish(
        db,
        outgoing_id,
        status,
        attempts=claim.attempts,
        protocol=delivery.protocol,
        endpoint=delivery.endpoint,
        http_code=delivery.http_code,
        summary=summary,
        location=delivery.location,
        last_error=summary if status == ERROR else None,
    )
    if row is None:  # sent again meanwhile: that send's message takes over
        log.info("send %s was sent again while it ran; its new try decides", outgoing_id)
        return None
    metrics.sent(delivery.protocol, status)
    log.info(
        "send %s %s: %s", outgoing_id, status, summary,
        extra={"outgoing_id": outgoing_id, "source": claim.source, "target": claim.target,
               "protocol": delivery.protocol, "status": status, "http_code": delivery.http_code},
    )  # fmt: skip
    if row.callback:
        call_back(row, settings)
    return status


def callback_body(row: Outgoing) -> bytes:
    """The callback's form body: the fields of the status document (empty when unknown)."""
    fields = store.status_document(row)
    return urlencode({k: "" if v is None else str(v) for k, v in fields.items()}).encode()


def call_back(row: Outgoing, settings: SendSettings) -> webhooks.Attempt:
    """POST the final status to the sender's callback, through the webhooks' address guard
    (the callback URL is the API caller's choice: it must not reach internal services). One
    try: the status stays readable at the location."""
    headers: dict[str, Any] = {"Content-Type": "application/x-www-form-urlencoded"}
    attempt = webhooks.post(
        row.callback or "", callback_body(row), headers, settings.callback_policy
    )
    if attempt.error:  # the webhooks' words, told of the callback
        attempt = dataclasses.replace(
            attempt, error=attempt.error.replace("the webhook", "the callback")
        )
    if attempt.ok:
        log.info("send %s: callback answered %s", row.id, attempt.status)
    else:
        log.warning("send %s: callback failed: %s", row.id, attempt.error)
    return attempt
