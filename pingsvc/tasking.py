"""Celery bound to the Flask app: Redis in production, a broker folder under VAR_DIR when
embedded; every task name, and send_after_commit(), the one way work is queued. Tasks are
sent by name, so pingsvc never imports the worker package."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from celery.utils import uuid
from flask import Flask, current_app
from kombu.exceptions import ChannelError
from kombu.transport import filesystem as filesystem_transport
from kombu.transport import redis as redis_transport
from kombu.utils.json import dumps
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from pingsvc import announcements, obs, taskpush
from pingsvc.taskpush import RedisPush

log = logging.getLogger(__name__)

VERIFY_TASK = "pingsvc.verify"
SWEEP_TASK = "pingsvc.sweep"
REVERIFY_TASK = "pingsvc.reverify"
NOTIFY_TASK = "pingsvc.notify"  # a mention's outbox mark: write its deliveries, queue e-mail
WEBHOOK_TASK = "pingsvc.webhook"  # one webhook delivery
EMAIL_TASK = "pingsvc.email"  # one mention's notification e-mail
SEND_POST_TASK = "pingsvc.send_post"  # plan and queue the sends of one of our posts (by URL)
DELIVER_TASK = "pingsvc.send_deliver"  # one Outgoing row's delivery
FEED_POLL_TASK = "pingsvc.feed_poll"  # poll the watched feeds, queue new and changed entries
IMPORT_TASK = "pingsvc.import"  # one dashboard upload's import (an ImportJob id)
RETENTION_TASK = "pingsvc.retention"  # apply every site's retention rules


class RedisChannel(redis_transport.Channel):
    """kombu's Redis channel, with one redis.Redis client for its commands instead of a new
    one per command: kombu builds a client for every message it publishes, and redis-py 8
    fills a table of response callbacks for each, the largest cost of publishing a message
    (figures in bench/README.md). A redis.Redis is thread-safe and takes a connection from
    the channel's pool per command, as the clients kombu builds do; BRPOP keeps its own."""

    @cached_property
    def _commands_client(self) -> Any:
        return self._create_client()

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        yield client or self._commands_client


class RedisTransport(redis_transport.Transport):
    Channel = RedisChannel


class FilesystemChannel(filesystem_transport.Channel):
    """kombu's filesystem channel, writing each message aside and renaming it into place.
    kombu creates the message file, then locks and writes it: a worker listing the folder in
    between read an empty file, and its JSONDecodeError stopped the worker ("Unrecoverable
    error"). A rename is atomic, so a reader sees a whole message or none."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{int(round(time.monotonic() * 1000))}_{uuid()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        aside = os.path.join(self.data_folder_out, f".{uuid()}.part")  # matches no queue
        try:
            with open(aside, "wb") as handle:
                handle.write(dumps(payload).encode())
            os.replace(aside, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem_transport.Transport):
    Channel = FilesystemChannel


def broker_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Redis when PINGSVC_REDIS_URL is set; else kombu's filesystem transport, which needs no
    server and is shared by the web process and the worker through VAR_DIR."""
    if config.get("REDIS_URL"):
        visibility = int(config.get("BROKER_VISIBILITY_TIMEOUT", 3600))
        return {
            "broker_url": config["REDIS_URL"],
            "broker_transport": f"{__name__}:RedisTransport",
            # A message a worker took but never acknowledged (the worker died) is delivered
            # again after visibility_timeout; restored on worker start and every interval.
            "broker_transport_options": {
                "visibility_timeout": visibility,
                "unacked_restore_interval": max(1, min(60, visibility // 2)),
                "unacked_restore_throttle": 1,
                # Publishing while Redis is down fails at once (the row is committed and the
                # sweeper sends it later) instead of holding the web thread in retries.
                "max_retries": 1,
                "interval_start": 0,
                "socket_connect_timeout": 2,
                "socket_timeout": 5,
            },
        }
    folder = Path(config["VAR_DIR"]) / "queue"
    control = Path(config["VAR_DIR"]) / "queue-control"
    for path in (folder, control):
        path.mkdir(parents=True, exist_ok=True)
    return {
        # The transport ignores the host; naming one stops kombu's "No hostname was
        # supplied" warning in every process that connects.
        "broker_url": "filesystem://localhost/",
        "broker_transport": f"{__name__}:FilesystemTransport",
        "broker_transport_options": {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(control),
            "store_processed": False,
        },
    }


def init_celery(app: Flask) -> Celery:
    """Create the Celery app for this Flask app; tasks run inside its app context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    config = app.config
    celery = Celery(app.name, task_cls=FlaskTask, include=["worker.tasks"])
    celery.conf.update(
        broker_settings(dict(config)),
        task_default_queue=config["QUEUE"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        task_publish_retry=False,
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        beat_schedule_filename=str(Path(config["VAR_DIR"]) / "celerybeat-schedule"),
        timezone="UTC",
    )
    celery.set_default()
    app.extensions["celery"] = celery
    before_task_publish.connect(_carry_request_id, weak=False, dispatch_uid="pingsvc-request-id")
    task_prerun.connect(_adopt_request_id, weak=False, dispatch_uid="pingsvc-request-id")
    task_postrun.connect(_drop_request_id, weak=False, dispatch_uid="pingsvc-request-id")
    task_postrun.connect(announce_verification, weak=False, dispatch_uid="pingsvc-verdicts")
    return celery


def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Every message sent while handling a request or a task carries its request id."""
    if headers is not None:
        headers.update(obs.task_headers())


def _adopt_request_id(task: Task | None = None, **_: Any) -> None:
    """A task runs (and logs, and sends messages) under the request id its message carries;
    Celery's own lines about the task, before and after it, carry it too."""
    if task is not None:
        rid = obs.task_request_id(task.request)
        task.request.pingsvc_token = obs.request_id.set(rid or obs.request_id.get())


def _drop_request_id(task: Task | None = None, **_: Any) -> None:
    token = getattr(task.request, "pingsvc_token", None) if task is not None else None
    if token is not None:
        obs.request_id.reset(token)
        task.request.pingsvc_token = None  # type: ignore[union-attr]


def announce_verification(
    task: Task | None = None, args: tuple[Any, ...] | None = None, **_: Any
) -> None:
    """The worker's one announcement to the pings waiting on a mention: a verify task ended
    (its verdict, or its retry, committed; or an error), so receive.waiting wakes them. Run
    after every task (Celery's task_postrun, whatever the outcome); one Redis PUBLISH for a
    verification, nothing for other tasks or without Redis. Nothing either for a verdict no
    ping can be waiting for (the task marks it: a webmention's, or no verification done),
    as most are: the PUBLISH was a tenth of a verify task's own CPU (bench/README.md)."""
    if task is None or task.name != VERIFY_TASK or not args:
        return
    if getattr(task.request, "pingsvc_unawaited", False):
        return
    conf = task.app.conf  # the broker is PINGSVC_REDIS_URL when set (broker_settings)
    redis_url = conf.broker_url if str(conf.broker_url).startswith("redis") else None
    announcements.announce(redis_url, conf.task_default_queue, int(args[0]))


def publish(celery: Celery, name: str, *args: Any, countdown: float = 0.0) -> None:
    """Send task `name` with `args` to the default queue, failing at once when the broker is
    down. The message is the one send_task sends, built by Celery itself
    (amqp.create_task_message) and sent by amqp.send_task_message, whose before/after publish
    signals still run (so it carries obs.task_headers()); on Redis, taskpush.RedisPush
    writes the same message with one LPUSH instead of kombu. What send_task adds on top costs CPU
    on every message (bench/README.md) and does nothing here: routing (there is one queue),
    declaring the queue on every publish (the worker declares it; Redis and the filesystem
    transport deliver to a named queue without it) and result bookkeeping (results are
    ignored). With `countdown`, the message carries an ETA: the worker takes it and runs it
    that many seconds later."""
    push = redis_push(celery)
    if push is not None:
        push.publish(name, args, countdown)
        return
    amqp = celery.amqp
    message = amqp.create_task_message(
        uuid(),
        name,
        args,
        {},
        countdown=countdown or None,
        reply_to=celery.thread_oid,
        create_sent_event=celery.conf.task_send_sent_event,
        # Celery's saferepr of the arguments costs CPU on every message (bench/README.md);
        # the repr of row ids is the same text.
        argsrepr=repr(args) if all(type(arg) is int for arg in args) else None,
        kwargsrepr="{}",
    )
    with celery.producer_pool.acquire(block=True) as producer:
        amqp.send_task_message(
            producer,
            name,
            message,
            queue=celery.conf.task_default_queue,
            declare=[],
            retry=False,
        )


_PUSH = "pingsvc_redis_push"  # the Celery app's RedisPush (or None), made on first publish
_push_lock = threading.Lock()


def redis_push(celery: Celery) -> RedisPush | None:
    """The app's RedisPush when its messages can go to Redis in one LPUSH
    (taskpush.applies); None sends them through kombu."""
    if not hasattr(celery, _PUSH):
        with _push_lock:
            if not hasattr(celery, _PUSH):
                setattr(celery, _PUSH, RedisPush(celery) if taskpush.applies(celery) else None)
    push: RedisPush | None = getattr(celery, _PUSH)
    return push


# Sends held for a session's commit (session.info key): a list of (name, args, countdown).
_HELD = "pingsvc_after_commit"


def send_after_commit(
    name: str, *args: Any, countdown: float = 0.0, session: Session | None = None
) -> bool:
    """The one way pingsvc queues work: send task `name` with `args` (ids of committed rows)
    once the database has them. With `session` in a transaction, the message is held until
    that session commits, and dropped if it rolls back; without one, the caller has committed
    and it goes now. A broker that refuses the message is logged, not raised: the row is the
    truth, and the sweeper sends what is still due once the broker is back. False when the
    broker refused it now; True when it went, or is held for the commit."""
    if session is not None and session.in_transaction():
        if _HELD not in session.info:
            session.info[_HELD] = []
            event.listen(session, "after_commit", _send_held)
            event.listen(session, "after_transaction_end", _drop_held)
        session.info[_HELD].append((name, args, countdown))
        return True
    try:
        publish(current_app.extensions["celery"], name, *args, countdown=countdown)
    except Exception as exc:  # noqa: BLE001 - the row is committed; the sweeper sends it later
        log.warning("could not queue %s%r (%s); the sweeper will send it", name, args, exc)
        return False
    return True


def _send_held(session: Session) -> None:
    held, session.info[_HELD] = session.info[_HELD], []
    for name, args, countdown in held:
        send_after_commit(name, *args, countdown=countdown)


def _drop_held(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended without a commit (rolled back or closed): what it held goes
    with it. A commit empties the list first; a savepoint's end is not the transaction's."""
    if transaction.parent is None:
        session.info[_HELD] = []


def enqueue_verify(mention_id: int, countdown: float = 0.0) -> bool:
    """Queue the verification of one committed mention (by id), to run in `countdown`
    seconds; False when the broker refused it (the sweeper sends it later)."""
    return send_after_commit(VERIFY_TASK, mention_id, countdown=countdown)


def enqueue_send_post(source_url: str) -> bool:
    """Queue the sending of one post of a registered site (its links, removed links, or every
    earlier target when it is gone): the worker fetches and plans it. False when the broker
    refused it."""
    return send_after_commit(SEND_POST_TASK, source_url)


def enqueue_deliver(outgoing_id: int, countdown: float = 0.0) -> bool:
    """Queue one send's delivery (by committed Outgoing id); False when the broker refused it
    (the sweeper sends it later)."""
    return send_after_commit(DELIVER_TASK, outgoing_id, countdown=countdown)


def enqueue_import(job_id: int) -> bool:
    """Queue the import of one uploaded file (by committed ImportJob id); False when the
    broker refused it."""
    return send_after_commit(IMPORT_TASK, job_id)
