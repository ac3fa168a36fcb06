"""The Celery app for `celery -A worker.celery_app worker|beat`: the Flask app's Celery."""

from __future__ import annotations

import dataclasses
from typing import Any

from celery.signals import worker_init, worker_process_init

from pingsvc import create_app
from pingsvc.db import POOL_SIZE, Database
from worker.schedule import beat_schedule

flask_app = create_app()
app = flask_app.extensions["celery"]
app.conf.beat_schedule = beat_schedule(flask_app.config)


MAX_WORKER_POOL = 16


@worker_init.connect
def _size_pool(sender: Any = None, **_: Any) -> None:
    """A threads pool runs `concurrency` tasks at once, each holding a connection while it
    reads or writes (not while it fetches): keep up to 16 open instead of opening and
    closing the overflow's around every task, and no more, so that a few 32-thread workers
    stay well within PostgreSQL's 100 connections. Nothing has connected yet, so the engine
    is simply replaced."""
    concurrency = int(getattr(sender, "concurrency", 0) or 0)
    shared = flask_app.extensions["pingsvc"]
    if "thread" in str(getattr(sender, "pool_cls", "")).lower() and concurrency > POOL_SIZE:
        old = shared.db
        flask_app.extensions["pingsvc"] = dataclasses.replace(
            shared, db=Database(old.url, pool_size=min(concurrency, MAX_WORKER_POOL))
        )
        old.dispose()


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    """A prefork child must not share its parent's connections (if any were opened)."""
    flask_app.extensions["pingsvc"].db.engine.dispose(close=False)
