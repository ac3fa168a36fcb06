"""Thin task wrappers over pingsvc.pipeline; the retry and ack policy lives here."""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from flask import current_app

from pingsvc.db import services
from pingsvc.errors import PingError
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
    REVERIFY_TASK,
    SEND_POST_TASK,
    SWEEP_TASK,
    VERIFY_TASK,
    WEBHOOK_TASK,
    enqueue_deliver,
    enqueue_send_post,
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
    if outcome is not None and outcome.notify:
        _queue_notification(mention_id)
    return outcome.status if outcome else None


def _queue_notification(mention_id: int) -> None:
    try:
        notify_mention.delay(mention_id)
    except Exception as exc:  # noqa: BLE001 - the outbox mark is committed; the sweeper sends it
        log.warning("could not queue the notification of mention %s: %s", mention_id, exc)


@shared_task(name=NOTIFY_TASK, acks_late=True)
def notify_mention(mention_id: int) -> int:
    """Turn the mention's outbox mark into webhook deliveries (and its e-mail), then queue them."""
    email_on = bool(current_app.config.get("SMTP_HOST"))
    delivery_ids = outbox.send(
        services().db, mention_id, email_on=email_on, queue_email=email_mention.delay
    )
    for delivery_id in delivery_ids:  # rows committed: the sweeper re-sends any lost here
        deliver_webhook.delay(delivery_id)
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
    ids = pending_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for mention_id in ids:
        verify.delay(mention_id)
    if ids:
        log.info("sweeper re-queued %d pending mentions", len(ids))
    deliveries = webhooks.due_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for delivery_id in deliveries:
        deliver_webhook.delay(delivery_id)
    if deliveries:
        log.info("sweeper re-queued %d webhook deliveries", len(deliveries))
    _sweep_notifications()
    _sweep_sends()
    return len(ids)


def _sweep_sends() -> None:
    """Queue again the sends whose delivery message outlived its due time."""
    ids = sent.due_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for outgoing_id in ids:
        enqueue_deliver(outgoing_id)
    if ids:
        log.info("sweeper re-queued %d sends", len(ids))


def _sweep_notifications() -> None:
    """Queue again the notifications whose outbox mark outlived its message."""
    ids = outbox.due_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for mention_id in ids:
        notify_mention.delay(mention_id)
    if ids:
        log.info("sweeper re-queued %d notifications", len(ids))


@shared_task(name=REVERIFY_TASK, acks_late=True)
def reverify() -> int:
    """Queue a batch of mentions verified long ago for a fresh look at their source."""
    config = current_app.config
    ids = stale_ids(
        services().db, float(config["REVERIFY_AFTER_DAYS"]), int(config["REVERIFY_BATCH"])
    )
    for mention_id in ids:
        verify.delay(mention_id)
    if ids:
        log.info("re-verifying %d mentions verified long ago", len(ids))
    return len(ids)


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
        log.warning("not sending for %s: %s", source_url, exc.description)
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


@shared_task(name=IMPORT_TASK, acks_late=True, reject_on_worker_lost=True)
def import_upload(job_id: int) -> str | None:
    """Import one file uploaded on the dashboard (idempotent: a second delivery re-imports
    nothing new)."""
    return jobs.run(services().db, job_id)
