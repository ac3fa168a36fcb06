"""The read API's response cache: Redis when PINGSVC_REDIS_URL is set (shared by every web
process), else an in-process LRU.

Keys are the response's ETag, which includes the version stamp of the rows it was built from
(api.query.stamp), so a changed mention makes a new key and the old entry is simply never read
again: nothing has to be invalidated across processes. Entries also expire after
PINGSVC_API_CACHE_TTL seconds. A cache that fails (Redis down) is skipped, never an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

log = logging.getLogger(__name__)

# The in-process cache's budget; a Redis entry may be a quarter of it (8 MiB).
MEMORY_BYTES = 32 * 1024 * 1024


class ResponseCache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, body: bytes) -> None: ...


class NoCache:
    """PINGSVC_API_CACHE_TTL=0: every answer is built afresh."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, body: bytes) -> None:
        return None


class MemoryCache:
    """A thread-safe LRU bounded by total bytes, for the embedded mode's single web process."""

    def __init__(self, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            expires, body = hit
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return body

    def set(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:  # one huge page must not flush everything else
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.ttl, body)
            self._size += len(body)
            while self._size > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _, body = self._entries.pop(key)
        self._size -= len(body)


class RedisCache:
    """Entries under `<prefix>:<etag>` with a TTL; the client is made on first use."""

    def __init__(self, url: str, prefix: str, ttl: int, max_item_bytes: int) -> None:
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.max_item_bytes = max_item_bytes
        self._client: Any = None
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        with self._lock:
            if self._client is None:
                import redis

                self._client = redis.Redis.from_url(
                    self.url, socket_connect_timeout=1, socket_timeout=1
                )
            return self._client

    def get(self, key: str) -> bytes | None:
        try:
            value = self._redis().get(f"{self.prefix}:{key}")
        except Exception as exc:  # noqa: BLE001 - a cache outage only costs speed
            log.warning("API cache read failed: %s", exc)
            return None
        return bytes(value) if value is not None else None

    def set(self, key: str, body: bytes) -> None:
        if len(body) > self.max_item_bytes:
            return
        try:
            self._redis().set(f"{self.prefix}:{key}", body, ex=self.ttl)
        except Exception as exc:  # noqa: BLE001 - a cache outage only costs speed
            log.warning("API cache write failed: %s", exc)


def from_config(config: dict[str, Any]) -> ResponseCache:
    """The cache this install uses, from PINGSVC_REDIS_URL and PINGSVC_API_CACHE_TTL."""
    ttl = int(config.get("API_CACHE_TTL", 300))
    if ttl <= 0:
        return NoCache()
    max_bytes = MEMORY_BYTES
    if config.get("REDIS_URL"):
        return RedisCache(config["REDIS_URL"], f"{config['QUEUE']}-api", ttl, max_bytes // 4)
    return MemoryCache(max_bytes, ttl)
