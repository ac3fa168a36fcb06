"""pingsvc.tasking: what the web process sends to the broker, and how cheaply."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from pingsvc import services
from pingsvc.tasking import RedisChannel, enqueue_verify
from tests.conftest import make_app


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
