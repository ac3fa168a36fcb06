"""pingsvc.taskpush: a task message on Redis in one LPUSH is the message kombu would push."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import redis
from flask import Flask

from pingsvc import obs, services, tasking, taskpush
from pingsvc.tasking import VERIFY_TASK, enqueue_verify, publish, send_after_commit
from tests.conftest import make_app
from tests.support.services import free_port

pytestmark = pytest.mark.integration

# Fields that are new for every message (ids, the ETA's instant): compared by shape only.
_FRESH_HEADERS = ("id", "root_id")
_FRESH_PROPERTIES = ("correlation_id", "delivery_tag")


def _queued(app: Flask) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    try:
        raw = client.lrange(app.config["QUEUE"], 0, -1)
        client.delete(app.config["QUEUE"])
    finally:
        client.close()
    return [json.loads(message) for message in reversed(raw)]  # LPUSH: newest first


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """The message with its fresh ids checked as UUIDs and set aside, its ETA to the second."""
    headers, properties = dict(message["headers"]), dict(message["properties"])
    for key in _FRESH_HEADERS:
        assert len(headers.pop(key)) == 36
    for key in _FRESH_PROPERTIES:
        assert len(properties.pop(key)) == 36
    if headers.get("eta"):
        headers["eta"] = headers["eta"][:19]
    body = json.loads(base64.b64decode(message["body"]))
    return {**message, "headers": headers, "properties": properties, "body": body}


def _through_kombu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasking, "redis_push", lambda _celery: None)


@pytest.mark.parametrize(
    ("args", "countdown"), [((7,), 0.0), ((2**40, 0), 0.0), (("https://a.example/",), 30.0)]
)
def test_a_pushed_message_is_the_one_kombu_pushes(
    production_app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[Any, ...],
    countdown: float,
) -> None:
    """Same headers (the request id a request carries included), body and properties."""
    celery = production_app.extensions["celery"]
    assert isinstance(tasking.redis_push(celery), taskpush.RedisPush)
    token = obs.request_id.set("req-taskpush")
    try:
        with production_app.app_context():
            publish(celery, VERIFY_TASK, *args, countdown=countdown)
            with monkeypatch.context() as patched:
                _through_kombu(patched)
                publish(celery, VERIFY_TASK, *args, countdown=countdown)
    finally:
        obs.request_id.reset(token)
    pushed, kombu = _queued(production_app)
    assert pushed["headers"]["argsrepr"] == repr(args)
    assert "req-taskpush" in json.dumps(pushed["headers"])
    assert bool(pushed["headers"]["eta"]) is bool(countdown)
    assert _comparable(pushed) == _comparable(kombu)


def test_a_pushed_message_is_run_by_the_worker_s_kombu(production_app: Flask) -> None:
    """The worker's side reads it: kombu's Redis channel takes it off the queue and Celery
    turns it into the task request it would have made of kombu's own message."""
    celery = production_app.extensions["celery"]
    with production_app.app_context():
        enqueue_verify(41)
    with celery.connection_for_read() as connection:
        queue = connection.SimpleQueue(production_app.config["QUEUE"], no_ack=True)
        message = queue.get(timeout=5)
        queue.close()
    assert message.headers["task"] == VERIFY_TASK
    assert message.decode() == [[41], {}, {"callbacks": None, "errbacks": None,
                                             "chain": None, "chord": None}]  # fmt: skip
    assert message.delivery_info["routing_key"] == production_app.config["QUEUE"]


def test_publishing_while_redis_is_down_fails_at_once(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app({**production_settings, "PINGSVC_REDIS_URL": dead}, monkeypatch)
    with app.app_context():
        assert isinstance(tasking.redis_push(app.extensions["celery"]), taskpush.RedisPush)
        started = time.monotonic()
        assert send_after_commit(VERIFY_TASK, 5) is False
        assert time.monotonic() - started < 2.0  # refused, not retried with backoff
    services(app).db.dispose()


def test_messages_kombu_would_write_differently_go_through_kombu(
    production_app: Flask, app: Flask
) -> None:
    redis_celery = production_app.extensions["celery"]
    assert taskpush.applies(redis_celery)
    assert tasking.redis_push(app.extensions["celery"]) is None  # the embedded broker
    redis_celery.conf.task_compression = "gzip"
    assert not taskpush.applies(redis_celery)
    redis_celery.conf.task_compression = None
    redis_celery.conf.task_default_priority = 5
    assert not taskpush.applies(redis_celery)
