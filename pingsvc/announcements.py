"""Waiting for a pingback's verdict without polling the database: the worker announces the
end of each verification on a Redis channel (`announce`), one listener thread per web process
hears it and wakes the pings waiting on that mention (`Verdicts`); without Redis (embedded),
or while the listener is not subscribed, a ping polls the row as it always did. A few slots
per process bound how many request threads wait at once."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

# Announcements kept this many seconds (and at most this many), for a ping that starts
# watching its mention only after the worker announced it (a verification faster than the
# web thread's way from accept() to the watch).
HEARD_FOR, HEARD_MAX = 30.0, 10_000
# The listener's reconnection delays after losing Redis (doubling up to the last).
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 30.0
_EXTENSION = "pingsvc-verdicts"


def channel(queue: str) -> str:
    """The Redis channel of one install's announcements (QUEUE names the install)."""
    return f"{queue}-verdicts"


_publishers: dict[str, Any] = {}
_publishers_lock = threading.Lock()


def _publisher(url: str) -> Any:
    """One thread-safe Redis client per URL and process, for announcing."""
    with _publishers_lock:
        client = _publishers.get(url)
        if client is None:
            import redis  # only installs with Redis need it loaded

            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            _publishers[url] = client
        return client


def announce(redis_url: str | None, queue: str, mention_id: int) -> None:
    """Tell the web processes that the verification of `mention_id` ended (a verdict, a retry
    noted, or an error), once what it wrote is committed: the pings waiting on it read the
    row now. One PUBLISH; without Redis, nothing (the embedded web polls). A message that is
    lost costs a waiting ping its early answer, never the answer."""
    if not redis_url:
        return
    try:
        _publisher(redis_url).publish(channel(queue), str(mention_id))
    except Exception as exc:  # noqa: BLE001 - the verdict is committed; the wait polls on
        log.warning("could not announce the verification of mention %s (%s)", mention_id, exc)


class Watch:
    """One ping's watch on its mention: `wait` returns when the mention's verification is
    announced, or at the timeout. `live` while the listener that was subscribed when the
    watch began still is: no announcement since can have been missed."""

    def __init__(self, verdicts: Verdicts, mention_id: int, generation: int | None) -> None:
        self.mention_id = mention_id
        self._verdicts = verdicts
        self._generation = generation
        self._event = threading.Event()

    @property
    def live(self) -> bool:
        return self._generation is not None and self._generation == self._verdicts.generation

    @property
    def woken(self) -> bool:
        return self._event.is_set()

    def wake(self) -> None:
        self._event.set()

    def clear(self) -> None:
        """Forget the announcements so far (before the row is read again)."""
        self._event.clear()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(max(timeout, 0.0))


class Verdicts:
    """One web process's listener for verification announcements, and its waiting slots."""

    def __init__(self, redis_url: str | None, queue: str, slots: int) -> None:
        self.redis_url = redis_url
        self.channel = channel(queue)
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots) if slots > 0 else None
        self._lock = threading.Lock()
        self._watches: dict[int, list[Watch]] = {}
        self._heard: OrderedDict[int, float] = OrderedDict()
        # Bumped at every subscription and every loss of it; None while not subscribed.
        self.generation: int | None = None
        self._generations = 0
        self._thread: threading.Thread | None = None
        self._pid = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Take one of the process's waiting slots for the block: False when all are taken
        (the ping then answers at once, as after a wait that ran out)."""
        taken = self._free is not None and self._free.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                assert self._free is not None
                self._free.release()

    @contextmanager
    def watch(self, mention_id: int) -> Iterator[Watch]:
        """Watch `mention_id` for the block; an announcement heard shortly before counts."""
        self._listen_in_background()
        with self._lock:
            watch = Watch(self, mention_id, self.generation)
            if watch.live and self._recently_heard(mention_id):
                watch.wake()
            self._watches.setdefault(mention_id, []).append(watch)
        try:
            yield watch
        finally:
            with self._lock:
                watches = self._watches.get(mention_id, [])
                watches.remove(watch)
                if not watches:
                    self._watches.pop(mention_id, None)

    def heard(self, mention_id: int) -> bool:
        """Whether this process heard the end of `mention_id`'s verification lately."""
        with self._lock:
            return self._recently_heard(mention_id)

    def _recently_heard(self, mention_id: int) -> bool:
        when = self._heard.get(mention_id)
        return when is not None and time.monotonic() - when < HEARD_FOR

    def _listen_in_background(self) -> None:
        """Start the listener thread (once per process: a forked web worker starts its own)."""
        if not self.redis_url or (self._thread is not None and self._pid == os.getpid()):
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid():
                return
            self.generation, self._watches, self._pid = None, {}, os.getpid()
            self._thread = threading.Thread(
                target=self._listen, name="pingsvc-verdicts", daemon=True
            )
            self._thread.start()

    def _listen(self) -> None:
        import redis

        assert self.redis_url is not None
        delay = RECONNECT_FIRST
        while True:
            client = pubsub = None
            try:  # a URL redis-py refuses is a failure like Redis gone: logged, polled
                client = redis.Redis.from_url(
                    self.redis_url,
                    socket_connect_timeout=2,
                    health_check_interval=30,
                    client_name=self.channel,  # CLIENT LIST tells whose listener it is
                )
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                while True:
                    message = pubsub.get_message(timeout=30.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._subscribed()
                        delay = RECONNECT_FIRST
                    elif message["type"] == "message":
                        self._announced(int(message["data"]))
            except Exception as exc:  # noqa: BLE001 - Redis went away: poll, and reconnect
                log.warning(
                    "listening for verdicts on Redis failed (%s); waiting pingbacks poll the "
                    "database until it is back",
                    exc,
                )
                self._lost()
            finally:
                if pubsub is not None:
                    pubsub.close()
                if client is not None:
                    client.close()
            time.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    def _subscribed(self) -> None:
        with self._lock:
            self._generations += 1
            self.generation = self._generations

    def _lost(self) -> None:
        """Announcements may be missed from now on: every watch polls (woken to notice)."""
        with self._lock:
            self._generations += 1
            self.generation = None
            for watches in self._watches.values():
                for watch in watches:
                    watch.wake()

    def _announced(self, mention_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._heard[mention_id] = now
            self._heard.move_to_end(mention_id)
            while self._heard and (
                len(self._heard) > HEARD_MAX or now - next(iter(self._heard.values())) > HEARD_FOR
            ):
                self._heard.popitem(last=False)
            for watch in self._watches.get(mention_id, ()):
                watch.wake()


_created = threading.Lock()


def verdicts(app: Flask) -> Verdicts:
    """The app's Verdicts (made on first use; its thread starts with the first watch)."""
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _created:
            found = app.extensions.get(_EXTENSION)
            if found is None:
                config = app.config
                found = Verdicts(
                    config.get("REDIS_URL"), config["QUEUE"], int(config["PINGBACK_WAITERS"])
                )
                app.extensions[_EXTENSION] = found
    return found
