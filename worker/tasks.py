"""Thin task wrappers over pingsvc.pipeline; the retry and ack policy lives here."""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from flask import current_app

from pingsvc import notify, pipeline, services, webhooks
from pingsvc.tasking import REVERIFY_TASK, SWEEP_TASK, VERIFY_TASK

log = logging.getLogger(__name__)


@shared_task(
    name=VERIFY_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def verify(self: Task, mention_id: int) -> str | None:
    """Verify one mention; transient failures come back after the pipeline's backoff."""
    shared = services()
    try:
        outcome = pipeline.process_mention(shared.db, mention_id, shared.pipeline)
    except pipeline.RetryLater as retry:
        raise self.retry(countdown=retry.countdown, max_retries=None) from retry
    if outcome is not None and outcome.changed and outcome.notify:
        notify_mention.delay(mention_id)
    return outcome.status if outcome else None


@shared_task(name=webhooks.NOTIFY_TASK, acks_late=True)
def notify_mention(mention_id: int) -> int:
    """Queue the webhook calls (and the e-mail) a mention's new state calls for."""
    shared = services()
    with shared.db.session() as session:
        delivery_ids = webhooks.plan(session, mention_id)
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    if current_app.config.get("SMTP_HOST") and notify.wants_email(shared.db, mention_id):
        email_mention.delay(mention_id)
    return len(delivery_ids)


@shared_task(
    name=webhooks.WEBHOOK_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
    max_retries=None,
)  # fmt: skip
def deliver_webhook(self: Task, delivery_id: int) -> str | None:
    """Call one webhook; failures come back after the delivery's own backoff."""
    settings = webhooks.WebhookSettings.from_config(current_app.config)
    try:
        return webhooks.deliver(services().db, delivery_id, settings)
    except pipeline.RetryLater as retry:
        raise self.retry(countdown=retry.countdown, max_retries=None) from retry


@shared_task(
    name=notify.EMAIL_TASK, acks_late=True, autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=10, retry_backoff_max=600, max_retries=6,
)  # fmt: skip
def email_mention(mention_id: int) -> str | None:
    """E-mail the site's owner about a new mention; SMTP trouble is retried with backoff."""
    config = current_app.config
    smtp = notify.SmtpSettings.from_config(config)
    return notify.email_mention(services().db, mention_id, smtp, config["BASE_URL"])


@shared_task(name=SWEEP_TASK, acks_late=True)
def sweep() -> int:
    """Queue again the pending mentions whose message the broker lost."""
    ids = pipeline.pending_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for mention_id in ids:
        verify.delay(mention_id)
    if ids:
        log.info("sweeper re-queued %d pending mentions", len(ids))
    deliveries = webhooks.due_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for delivery_id in deliveries:
        deliver_webhook.delay(delivery_id)
    if deliveries:
        log.info("sweeper re-queued %d webhook deliveries", len(deliveries))
    return len(ids)


@shared_task(name=REVERIFY_TASK, acks_late=True)
def reverify() -> int:
    """Queue a batch of mentions verified long ago for a fresh look at their source."""
    config = current_app.config
    ids = pipeline.stale_ids(
        services().db, float(config["REVERIFY_AFTER_DAYS"]), int(config["REVERIFY_BATCH"])
    )
    for mention_id in ids:
        verify.delay(mention_id)
    if ids:
        log.info("re-verifying %d mentions verified long ago", len(ids))
    return len(ids)
