"""pingsvc.tasking: what the web process sends to the broker, when, and how cheaply."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.tasking import (
    NOTIFY_TASK,
    VERIFY_TASK,
    WEBHOOK_TASK,
    RedisChannel,
    enqueue_verify,
    publish,
    send_after_commit,
)
from tests.conftest import make_app
from tests.support.broker import queued_tasks
from tests.support.services import free_port


def test_a_send_with_no_open_transaction_goes_at_once(app: Flask) -> None:
    with app.app_context():
        assert send_after_commit(WEBHOOK_TASK, 3) is True
        assert enqueue_verify(4) is True
    assert queued_tasks(app) == sorted([(WEBHOOK_TASK, [3]), (VERIFY_TASK, [4])])


def test_a_send_held_for_a_session_goes_only_when_it_commits(app: Flask) -> None:
    with app.app_context(), services(app).db.session() as session:
        session.execute(select(1))  # a transaction is open
        assert send_after_commit(VERIFY_TASK, 7, session=session) is True
        assert send_after_commit(NOTIFY_TASK, 8, session=session) is True
        assert queued_tasks(app) == []
        session.commit()
        assert queued_tasks(app) == sorted([(VERIFY_TASK, [7]), (NOTIFY_TASK, [8])])
        session.execute(select(1))
        session.commit()  # the next transaction sends nothing again
    assert queued_tasks(app) == sorted([(VERIFY_TASK, [7]), (NOTIFY_TASK, [8])])


def test_a_send_held_for_a_transaction_that_rolls_back_is_dropped(app: Flask) -> None:
    with app.app_context(), services(app).db.session() as session:
        session.execute(select(1))
        send_after_commit(VERIFY_TASK, 7, session=session)
        session.rollback()
        session.execute(select(1))
        send_after_commit(VERIFY_TASK, 9, session=session)
        session.close()  # ended without a commit too
        session.execute(select(1))
        session.commit()
    assert queued_tasks(app) == []


def test_a_broker_that_refuses_the_message_is_logged_not_raised(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The row is committed and the sweeper sends it once the broker is back: the caller is
    told (False), and nothing propagates into the request or task that sent it."""
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app({**settings, "PINGSVC_REDIS_URL": dead}, monkeypatch)
    with app.app_context(), caplog.at_level(logging.WARNING, logger="pingsvc.tasking"):
        assert send_after_commit(VERIFY_TASK, 5) is False
        assert enqueue_verify(6, countdown=30) is False
        with services(app).db.session() as session:
            session.execute(select(1))
            assert send_after_commit(NOTIFY_TASK, 7, session=session) is True  # held
            session.commit()  # sent then, refused, logged
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "could not queue pingsvc.verify(5,)",
        "could not queue pingsvc.verify(6,)",
        "could not queue pingsvc.notify(7,)",
    ]
    services(app).db.dispose()


@pytest.mark.integration
def test_publishing_on_redis_builds_one_client_per_channel_not_one_per_message(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(production_settings, monkeypatch)
    built: list[Any] = []
    original = redis.Redis.__init__

    def counting(self: redis.Redis, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    with app.app_context():
        enqueue_verify(1)  # opens the channel: its BRPOP client and its commands client
        celery = app.extensions["celery"]
        with celery.producer_pool.acquire(block=True) as producer:
            assert isinstance(producer.channel, RedisChannel)
        opened = len(built)
        for mention_id in range(2, 12):
            enqueue_verify(mention_id)
    assert len(built) == opened
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    assert client.llen(app.config["QUEUE"]) == 11
    client.delete(app.config["QUEUE"])
    client.close()
    services(app).db.dispose()


def test_the_sweeper_queues_through_send_after_commit_and_stops_when_refused(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """worker.tasks queues what it re-sends the one way pingsvc queues work; a broker that
    refuses one message gets no more from this sweep (the next sweep sends the rest)."""
    from pingsvc import tasking
    from worker import tasks

    sent: list[tuple[str, tuple[Any, ...]]] = []

    def publish(_celery: Any, name: str, *args: Any, countdown: float = 0.0) -> None:
        if len(sent) == 2:
            raise ConnectionError("the broker went away")
        sent.append((name, args))

    monkeypatch.setattr(tasking, "publish", publish)
    with app.app_context():
        assert tasks._queue_each(VERIFY_TASK, [1, 2, 3, 4], "re-queued %d") == 2
    assert sent == [(VERIFY_TASK, (1,)), (VERIFY_TASK, (2,))]


@pytest.mark.parametrize("args", [(7,), (2**40, 0), (), ("https://a.example/",), (True,)])
def test_a_message_shows_its_arguments_as_celery_s_saferepr_would(
    app: Flask, args: tuple[Any, ...]
) -> None:
    """publish() gives Celery the repr of row ids itself (cheaper); the message's argsrepr
    and kwargsrepr headers are the text Celery's own saferepr makes."""
    from celery.utils.saferepr import saferepr

    celery = app.extensions["celery"]
    sent: list[Any] = []
    original = celery.amqp.send_task_message

    def capture(producer: Any, name: str, message: Any, **options: Any) -> None:
        sent.append(message)

    celery.amqp.send_task_message = capture
    try:
        publish(celery, "pingsvc.verify", *args)
    finally:
        celery.amqp.send_task_message = original
    headers = sent[0].headers
    maxlevels = celery.conf.task_repr_maxlevels
    assert headers["argsrepr"] == saferepr(args, celery.amqp.argsrepr_maxsize, maxlevels=maxlevels)
    assert headers["kwargsrepr"] == saferepr({}, celery.amqp.kwargsrepr_maxsize)
