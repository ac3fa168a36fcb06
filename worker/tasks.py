"""Thin task wrappers over pingsvc.pipeline; the retry and ack policy lives here."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from flask import current_app

from pingsvc import pipeline, services
from pingsvc.tasking import SWEEP_TASK, VERIFY_TASK

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
    return outcome.status if outcome else None


@shared_task(name=SWEEP_TASK, acks_late=True)
def sweep() -> int:
    """Queue again the pending mentions whose message the broker lost."""
    ids = pipeline.pending_ids(services().db, float(current_app.config["SWEEP_AFTER"]))
    for mention_id in ids:
        verify.delay(mention_id)
    if ids:
        log.info("sweeper re-queued %d pending mentions", len(ids))
    return len(ids)
