"""The pace of verifications per source domain: when a new mention's source may be fetched, so
that one domain's pages are fetched at most at PINGSVC_RATE_LIMIT_SOURCE, and the hourly cap
(PINGSVC_RATE_LIMIT_SOURCE_CAP) past which a domain's mentions are refused. No Flask."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from publicsuffixlist import PublicSuffixList

from pingsvc.errors import RateLimited

log = logging.getLogger(__name__)

Windows = Sequence[tuple[int, float]]  # (at most this many fetches, per this many seconds)

_SUFFIXES = PublicSuffixList()  # the list the package bundles; it never fetches one


def pace_key(host: str) -> str:
    """The domain whose mentions share a pace and a cap: the registrable domain (the Public
    Suffix List's), so `a.evil.example` and `b.evil.example` are one sender however many
    names a wildcard record gives it. IP literals and names that are public suffixes
    themselves (e.g. `github.io`) stand for themselves."""
    host = host.strip("[]").rstrip(".").lower()
    if not host or ":" in host or host.replace(".", "").isdigit():
        return host
    return _SUFFIXES.privatesuffix(host) or host


class Schedule(Protocol):
    def slot(self, host: str, now: float, windows: Windows) -> float:
        """Book the next fetch of `host`'s pages at or after `now`; return its time."""


def next_slot(booked: Sequence[float], now: float, windows: Windows) -> float:
    """The earliest time at or after `now` that keeps every window's count: with n fetches
    per w seconds, a fetch may come w seconds after the n-th latest booked one. `booked` is
    ascending and holds the latest max(n) bookings. Pure: both schedules use this rule."""
    slot = now
    for amount, seconds in windows:
        if len(booked) >= amount:
            slot = max(slot, booked[-amount] + seconds)
    return slot


class MemorySchedule:
    """The bookings of each domain in this process (embedded installs, as the limits are)."""

    def __init__(self) -> None:
        self._booked: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def slot(self, host: str, now: float, windows: Windows) -> float:
        keep = max(amount for amount, _ in windows)
        longest = max(seconds for _, seconds in windows)
        with self._lock:
            if len(self._booked) > 10_000:  # forget the domains whose bookings all passed
                self._booked = {
                    h: b for h, b in self._booked.items() if b and b[-1] + longest > now
                }
            booked = self._booked.setdefault(host, [])
            slot = next_slot(booked, now, windows)
            booked.append(slot)
            del booked[:-keep]
            return slot


# next_slot in Lua, so that web processes sharing Redis book one domain's slots atomically.
# It answers the wait, not the slot: Lua prints numbers to 14 digits, a time to 0.1 ms.
_SLOT_SCRIPT = """
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local longest = tonumber(ARGV[3])
local slot = now
local length = redis.call('LLEN', KEYS[1])
for i = 4, #ARGV, 2 do
    local amount = tonumber(ARGV[i])
    if length >= amount then
        local start = tonumber(redis.call('LINDEX', KEYS[1], -amount)) + tonumber(ARGV[i + 1])
        if start > slot then slot = start end
    end
end
redis.call('RPUSH', KEYS[1], tostring(slot))
redis.call('LTRIM', KEYS[1], -keep, -1)
redis.call('PEXPIRE', KEYS[1], math.ceil((slot - now + longest) * 1000))
return tostring(slot - now)
"""


class RedisSchedule:
    """The bookings of each domain in Redis, shared by every web process."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # only installs with Redis need it loaded

        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._script = self._client.register_script(_SLOT_SCRIPT)
        self._prefix = prefix

    def slot(self, host: str, now: float, windows: Windows) -> float:
        args: list[Any] = [
            repr(now),
            max(amount for amount, _ in windows),
            max(seconds for _, seconds in windows),
        ]
        for amount, seconds in windows:
            args += [amount, seconds]
        return now + float(self._script(keys=[f"{self._prefix}:{host}"], args=args))


def _windows(items: Sequence[RateLimitItem]) -> list[tuple[int, float]]:
    return [(item.amount, float(item.get_expiry())) for item in items]


def _describe(items: Sequence[RateLimitItem]) -> str:
    return ", ".join(str(item) for item in items)


@dataclass
class Pacing:
    """The per-source-domain allowance (fetches per window) and cap (mentions per hour)."""

    allowance: list[RateLimitItem]
    cap: list[RateLimitItem]
    schedule: Schedule
    counter: MovingWindowRateLimiter
    prefix: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pacing:
        """Read the settings; ValueError names the one that can't be read."""
        parsed: dict[str, list[RateLimitItem]] = {}
        for name in ("RATE_LIMIT_SOURCE", "RATE_LIMIT_SOURCE_CAP"):
            try:
                parsed[name] = parse_many(str(config[name]))
            except ValueError as exc:
                raise ValueError(
                    f"PINGSVC_{name}={config[name]!r} is not a rate limit such as 30/minute"
                ) from exc
        prefix = f"{config['QUEUE']}-pace"
        redis_url = config.get("REDIS_URL")
        schedule: Schedule = RedisSchedule(redis_url, prefix) if redis_url else MemorySchedule()
        options = {"socket_connect_timeout": 2} if redis_url else {}
        storage = storage_from_string(redis_url or "memory://", **options)
        return cls(
            parsed["RATE_LIMIT_SOURCE"],
            parsed["RATE_LIMIT_SOURCE_CAP"],
            schedule,
            MovingWindowRateLimiter(storage),
            prefix,
        )

    def admit(self, host: str) -> None:
        """Refuse a mention from `host` when its domain is over the cap (RateLimited). Only
        looks: count() spends the cap, once the mention is stored and new. A store that does
        not answer (Redis down) refuses nothing: pings are never lost to it."""
        key = pace_key(host)
        try:
            over = [i for i in self.cap if not self.counter.test(i, self.prefix, "cap", key)]
            if not over:
                return
            reset = self.counter.get_window_stats(over[0], self.prefix, "cap", key).reset_time
        except Exception as exc:  # noqa: BLE001 - the store is down: admit, as the limiter does
            log.warning("could not count the mentions from %s (%s); admitted", host, exc)
            return
        retry_after = max(1, math.ceil(reset - time.time()))
        raise RateLimited(
            f"Too many mentions from {key} (at most {_describe(over)}); wait {retry_after} "
            "seconds (Retry-After), then send again.",
            retry_after=retry_after,
        )

    def count(self, host: str) -> None:
        """Spend one unit of `host`'s domain's cap: a mention was stored and queued anew (a
        request refused, or joining a verification already queued, costs nothing, so nobody
        can spend another domain's cap with unknown targets or the same ping again)."""
        key = pace_key(host)
        try:
            for item in self.cap:
                self.counter.hit(item, self.prefix, "cap", key)
        except Exception as exc:  # noqa: BLE001 - the store is down: nothing to count in
            log.warning("could not count a mention from %s (%s)", host, exc)

    def delay(self, host: str) -> float:
        """Book the verification of a new mention from `host`: the seconds it waits (0: at
        once) so that the domain's pages are fetched within the allowance."""
        now = time.time()
        try:
            slot = self.schedule.slot(pace_key(host), now, _windows(self.allowance))
            return max(0.0, slot - now)
        except Exception as exc:  # noqa: BLE001 - the store is down: verify now
            log.warning("could not book a verification of %s (%s); verified now", host, exc)
            return 0.0
