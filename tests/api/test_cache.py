"""The API's response cache: an in-process LRU, or Redis shared by every web process; a cache
that fails only costs speed."""

from __future__ import annotations

import socket
import uuid

import redis

from pingsvc.api.cache import MemoryCache, NoCache, RedisCache, from_config


def test_memory_cache_keeps_recent_entries_within_its_byte_budget() -> None:
    cache = MemoryCache(max_bytes=100, ttl=60)
    cache.set("a", b"x" * 20)
    cache.set("b", b"y" * 20)
    assert cache.get("a") == b"x" * 20  # a is now the most recently used
    for key in "cdef":
        cache.set(key, b"z" * 20)
    assert cache.get("b") is None  # the least recently used went first
    assert cache.get("a") == b"x" * 20 and cache.get("f") == b"z" * 20
    assert sum(len(body) for _, body in cache._entries.values()) <= 100


def test_memory_cache_skips_one_huge_body_instead_of_flushing_everything() -> None:
    cache = MemoryCache(max_bytes=100, ttl=60)
    cache.set("small", b"s")
    cache.set("huge", b"h" * 60)
    assert cache.get("huge") is None and cache.get("small") == b"s"


def test_memory_cache_entries_expire() -> None:
    cache = MemoryCache(max_bytes=100, ttl=-1)  # already expired when stored
    cache.set("a", b"x")
    assert cache.get("a") is None


def test_redis_cache_round_trip_with_a_ttl(redis_url: str) -> None:
    prefix = f"pingsvc-test-{uuid.uuid4().hex[:8]}-api"
    cache = RedisCache(redis_url, prefix, ttl=120, max_item_bytes=1000)
    cache.set("k", b"body")
    assert cache.get("k") == b"body"
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.ttl(f"{prefix}:k") <= 120
    cache.set("big", b"b" * 1001)
    assert cache.get("big") is None
    client.delete(f"{prefix}:k")
    client.close()


def test_an_unreachable_redis_only_means_no_cache() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache = RedisCache(f"redis://127.0.0.1:{port}/0", "p", ttl=60, max_item_bytes=1000)
    cache.set("k", b"body")
    assert cache.get("k") is None


def test_the_setting_chooses_the_cache() -> None:
    assert isinstance(from_config({"API_CACHE_TTL": 0}), NoCache)
    assert isinstance(from_config({"API_CACHE_TTL": 60}), MemoryCache)
    shared = from_config({"API_CACHE_TTL": 60, "REDIS_URL": "redis://127.0.0.1:1/0", "QUEUE": "q"})
    assert isinstance(shared, RedisCache) and shared.prefix == "q-api"
