"""Thin task wrappers over pingsvc.pipeline; the retry and ack policy lives here."""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from flask import current_app

from pingsvc import retention
from pingsvc.db import services
from pingsvc.errors import PingError
from pingsvc.models import PINGBACK
from pingsvc.notify import email, outbox, webhooks
from pingsvc.pipeline import steps
from pingsvc.pipeline.sweep import pending_ids, stale_ids
from pingsvc.portability import jobs
from pingsvc.send import feedpoll
from pingsvc.send import outbox as sends
from pingsvc.send import post as sending
from pingsvc.send import store as sent
from pingsvc.tasking import (
    DELIVER_TASK,
    EMAIL_TASK,
    FEED_POLL_TASK,
    IMPORT_TASK,
    NOTIFY_TASK,
    RETENTION_TASK,
    REVERIFY_TASK,
    SEND_POST_TASK,
    SWEEP_TASK,
    VERIFY_TASK,
    WEBHOOK_TASK,
    enqueue_deliver,
    enqueue_send_post,
    send_after_commit,
)

log = logging.getLogger(__name__)


@shared_task(
    name=VERIFY_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def verify(self: Task, mention_id: int) -> str | None:
    """Verify one mention; transient failures come back after the pipeline's backoff."""
    shared = services()
    try:
        outcome = steps.process_mention(shared.db, mention_id, shared.pipeline)
    except steps.RetryLater as retry:
        raise self.retry(countdown=retry.countdown, max_retries=None) from retry
    if outcome is not None and outcome.notify:  # its outbox mark is committed with the verdict
        send_after_commit(NOTIFY_TASK, mention_id)
    if outcome is None or outcome.protocol != PINGBACK:  # no ping waits for this verdict
        self.request.pingsvc_unawaited = True
    return outcome.status if outcome else None


@shared_task(name=NOTIFY_TASK, acks_late=True)
def notify_mention(mention_id: int) -> int:
    """Turn the mention's outbox mark into webhook deliveries (and its e-mail), then queue them."""
    email_on = bool(current_app.config.get("SMTP_HOST"))
    delivery_ids = outbox.send(
        services().db, mention_id, email_on=email_on, queue_email=email_mention.delay
    )
    for delivery_id in delivery_ids:  # rows committed: the sweeper re-sends any lost here
        send_after_commit(WEBHOOK_TASK, delivery_id)
    return len(delivery_ids)


@shared_task(
    name=WEBHOOK_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
    max_retries=None,
)  # fmt: skip
def deliver_webhook(self: Task, delivery_id: int) -> str | None:
    """Call one webhook; failures come back after the delivery's own backoff."""
    settings = webhooks.WebhookSettings.from_config(current_app.config)
    try:
        return webhooks.deliver(services().db, delivery_id, settings)
    except steps.RetryLater as retry:
        raise self.retry(countdown=retry.countdown, max_retries=None) from retry


@shared_task(
    name=EMAIL_TASK, acks_late=True, autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=10, retry_backoff_max=600, max_retries=6,
)  # fmt: skip
def email_mention(mention_id: int) -> str | None:
    """E-mail the site's owner about a new mention; SMTP trouble is retried with backoff."""
    config = current_app.config
    smtp = email.SmtpSettings.from_config(config)
    return email.email_mention(services().db, mention_id, smtp, config["BASE_URL"])


@shared_task(name=SWEEP_TASK, acks_late=True)
def sweep() -> int:
    """Queue again the pending mentions whose message the broker lost."""
    after = float(current_app.config["SWEEP_AFTER"])
    db = services().db
    queued = _queue_each(
        VERIFY_TASK, pending_ids(db, after), "sweeper re-queued %d pending mentions"
    )
    _queue_each(
        WEBHOOK_TASK, webhooks.due_ids(db, after), "sweeper re-queued %d webhook deliveries"
    )
    _queue_each(NOTIFY_TASK, outbox.due_ids(db, after), "sweeper re-queued %d notifications")
    _queue_each(DELIVER_TASK, sent.due_ids(db, after), "sweeper re-queued %d sends")
    return queued


def _queue_each(name: str, ids: list[int], done: str) -> int:
    """Send task `name` for each committed id, stopping at the first the broker refuses (the
    next sweep sends the rest); log `done` with how many went."""
    queued = 0
    for row_id in ids:
        if not send_after_commit(name, row_id):
            break
        queued += 1
    if queued:
        log.info(done, queued)
    return queued


@shared_task(name=REVERIFY_TASK, acks_late=True)
def reverify() -> int:
    """Queue a batch of mentions verified long ago for a fresh look at their source."""
    config = current_app.config
    ids = stale_ids(
        services().db, float(config["REVERIFY_AFTER_DAYS"]), int(config["REVERIFY_BATCH"])
    )
    return _queue_each(VERIFY_TASK, ids, "re-verifying %d mentions verified long ago")


@shared_task(name=FEED_POLL_TASK, acks_late=True)
def poll_feeds() -> int:
    """Poll the watched feeds and queue the sends of their new and changed entries; a feed
    polled within the last half interval (by `pingsvc feed poll`) waits for the next one."""
    shared = services()
    interval = float(current_app.config["FEED_INTERVAL"])
    results = feedpoll.poll_all(
        shared.db, shared.pipeline, enqueue_send_post, older_than=interval / 2
    )
    for result in results:
        log.info("feed poll: %s", result.describe())
    return sum(len(result.queued) for result in results)


@shared_task(name=SEND_POST_TASK, bind=True, acks_late=True, max_retries=None)
def send_post(self: Task, source_url: str) -> int | None:
    """Plan one post's sends (a feed's new entry) and queue their deliveries; a post that
    can't be fetched now is tried again with the sends' backoff."""
    settings = sending.SendSettings.from_config(current_app.config)
    try:
        plan = sending.send_post(services().db, source_url, settings, enqueue=enqueue_deliver)
    except sending.SourceUnreadable as exc:
        tries = self.request.retries + 1
        if exc.transient and tries < settings.max_tries:
            raise self.retry(countdown=settings.backoff * 2 ** (tries - 1)) from exc
        log.warning("not sending for %s: %s", source_url, exc.description)
        return None
    except PingError as exc:
        # A post without links is normal for a feed's entry; other refusals are worth a look.
        level = logging.INFO if exc.code == "no_link_found" else logging.WARNING
        log.log(level, "not sending for %s: %s", source_url, exc.description)
        return None
    return len(plan.targets)


@shared_task(
    name=DELIVER_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
    max_retries=None,
)  # fmt: skip
def deliver_send(self: Task, outgoing_id: int) -> str | None:
    """Deliver one send; failures come back after the send's backoff (or Retry-After)."""
    settings = sending.SendSettings.from_config(current_app.config)
    try:
        return sends.deliver_one(services().db, outgoing_id, settings)
    except steps.RetryLater as retry:
        raise self.retry(countdown=retry.countdown, max_retries=None) from retry
    except Exception as exc:
        # Not the receiver's doing (the database, a bug): the row stays queued and its claim
        # released; try again with backoff rather than leave it to the sweeper. The claims
        # count the tries, so a send that always fails here ends as error.
        log.exception("send %s failed on pingsvc's side; trying again", outgoing_id)
        countdown = settings.backoff * 2 ** min(self.request.retries, 6)
        raise self.retry(countdown=countdown, max_retries=None) from exc


@shared_task(name=IMPORT_TASK, acks_late=True, reject_on_worker_lost=True)
def import_upload(job_id: int) -> str | None:
    """Import one file uploaded on the dashboard (idempotent: a second delivery re-imports
    nothing new)."""
    return jobs.run(services().db, job_id)


@shared_task(name=RETENTION_TASK, acks_late=True)
def apply_retention() -> int:
    """Delete and erase what each site's retention rules say is due (idempotent)."""
    hooks = retention.erase_hooks(current_app.extensions)
    with services().db.session() as session:
        results = retention.run(session, hooks=hooks)
    for result in results:
        log.info("retention: %s", result.describe())
    return sum(result.deleted + result.erased for result in results)
