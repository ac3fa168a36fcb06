"""A task message written onto its Redis queue with one LPUSH: the envelope kombu's Redis
transport writes, built here without kombu's producer, channel and virtual-transport layers,
which cost more CPU than the rest of an accept's publishing (bench/README.md). Celery still
builds the message (amqp.create_task_message) and its publish signals still run; the worker
consumes it through kombu as any other."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from celery import Celery
from celery.signals import after_task_publish, before_task_publish
from kombu.utils.json import dumps

# kombu's `delivery_mode` for a persistent message (Celery's task_default_delivery_mode).
PERSISTENT = 2


class RedisPush:
    """Publish Celery task messages of one app to its default queue on Redis."""

    def __init__(self, celery: Celery) -> None:
        import redis  # only installs with Redis get here
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        conf = celery.conf
        options = conf.broker_transport_options or {}
        self._celery = celery
        self.queue: str = conf.task_default_queue
        # The broker's own timeouts; one retry at once, as kombu's max_retries=1 with no
        # interval: a pooled connection that Redis closed is replaced, a Redis that is down
        # fails the publish at once (the row is committed, the sweeper sends it later).
        self._client = redis.Redis.from_url(
            conf.broker_url,
            socket_connect_timeout=options.get("socket_connect_timeout"),
            socket_timeout=options.get("socket_timeout"),
            retry=Retry(NoBackoff(), 1),
        )

    def publish(self, name: str, args: tuple[Any, ...], countdown: float = 0.0) -> None:
        """Send task `name` with `args` (running in `countdown` seconds when set)."""
        celery = self._celery
        headers, properties, body, _sent_event = celery.amqp.create_task_message(
            str(uuid.uuid4()),
            name,
            args,
            {},
            countdown=countdown or None,
            reply_to=celery.thread_oid,
            # Celery's saferepr of the arguments costs CPU on every message; the repr of
            # row ids is the same text.
            argsrepr=repr(args) if all(type(arg) is int for arg in args) else None,
            kwargsrepr="{}",
        )
        before_task_publish.send(
            sender=name, body=body, exchange="", routing_key=self.queue, declare=[],
            headers=headers, properties=properties, retry_policy={},
        )  # fmt: skip
        self._client.lpush(self.queue, dumps(envelope(self.queue, headers, properties, body)))
        after_task_publish.send(sender=name, body=body, exchange="", routing_key=self.queue)


def envelope(
    queue: str, headers: dict[str, Any], properties: dict[str, Any], body: Any
) -> dict[str, Any]:
    """What kombu's Redis transport pushes for a message published to `queue` through the
    default (direct, anonymous) exchange: the JSON body, base64-encoded, and its properties
    with the delivery fields kombu adds (tests/test_taskpush.py compares the two)."""
    return {
        "body": base64.b64encode(dumps(body).encode()).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": {
            **properties,
            "delivery_mode": PERSISTENT,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }


def applies(celery: Celery) -> bool:
    """Whether RedisPush writes what kombu would for this app's messages: Redis, Celery's
    JSON serializer without compression, persistent delivery, and a queue with no expiry or
    priorities of its own (pingsvc's settings; anything else goes through kombu)."""
    conf = celery.conf
    queue = celery.amqp.queues.get(conf.task_default_queue)
    arguments = (queue.queue_arguments or {}) if queue is not None else {}
    return (
        str(conf.broker_url).startswith("redis://")  # TLS and sockets: kombu's own options
        and conf.task_serializer == "json"
        and not conf.task_compression
        and conf.task_default_delivery_mode in ("persistent", PERSISTENT)
        and not conf.task_send_sent_event
        and not conf.task_queue_max_priority
        and not conf.task_default_priority
        and not any(key in arguments for key in ("x-expires", "x-max-priority"))
    )
