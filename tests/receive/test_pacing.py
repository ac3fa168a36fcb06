"""The per-source-domain pace: the slot rule keeps every window's count, in memory and in Redis
alike; the hourly cap refuses with a Retry-After; a store that is down refuses nothing; a real
worker runs deferred verifications at their turn, and the sweeper sends one whose message the
broker lost, after its turn, on the embedded broker and on Redis."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.errors import RateLimited
from pingsvc.models import APPROVED, Mention
from pingsvc.receive.pacing import (
    MemorySchedule,
    Pacing,
    RedisSchedule,
    Schedule,
    next_slot,
    pace_key,
)
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

T = 1_000_000.0  # a time, in seconds


@pytest.mark.parametrize(
    ("booked", "now", "windows", "slot"),
    [
        ([], T, [(2, 60)], T),  # nothing booked: at once
        ([T], T, [(2, 60)], T),  # within the allowance: at once
        ([T, T], T, [(2, 60)], T + 60),  # the third of two a minute: a minute after the first
        ([T, T + 60], T + 1, [(2, 60)], T + 60),
        ([T - 90, T - 80], T, [(2, 60)], T),  # the window passed: at once
        ([T, T, T + 60], T, [(2, 60), (3, 3600)], T + 3600),  # the longer window decides
    ],
)
def test_next_slot(
    booked: list[float], now: float, windows: list[tuple[int, float]], slot: float
) -> None:
    assert next_slot(booked, now, windows) == slot


def _most_in_any_window(slots: Sequence[float], seconds: float) -> int:
    return max(sum(1 for s in slots if start <= s < start + seconds) for start in slots)


@pytest.fixture(params=["memory", "redis"])
def schedule(request: pytest.FixtureRequest) -> Schedule:
    if request.param == "memory":
        return MemorySchedule()
    url = request.getfixturevalue("redis_url")
    return RedisSchedule(url, f"pingsvc-test-pace-{uuid.uuid4().hex[:8]}")


def test_a_burst_is_booked_at_the_allowance(schedule: Schedule) -> None:
    slots = [schedule.slot("blog.example", T, [(30, 60)]) for _ in range(95)]
    assert slots[:30] == [T] * 30  # the allowance at once
    assert slots[30:60] == [T + 60] * 30 and slots[90:] == [T + 180] * 5
    assert _most_in_any_window(slots, 60) == 30
    assert schedule.slot("other.example", T, [(30, 60)]) == T  # each domain its own pace


def test_bookings_arriving_over_time_are_spread_by_the_window(schedule: Schedule) -> None:
    slots = [schedule.slot("blog.example", T + n, [(2, 10)]) for n in range(8)]
    assert slots == [T, T + 1, T + 10, T + 11, T + 20, T + 21, T + 30, T + 31]


def _pacing(config: dict[str, str]) -> Pacing:
    return Pacing.from_config({"QUEUE": f"pingsvc-test-{uuid.uuid4().hex[:8]}", **config})


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_the_cap_refuses_with_retry_after(store: str, request: pytest.FixtureRequest) -> None:
    redis = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    pacing = _pacing({"RATE_LIMIT_SOURCE": "1/minute", "RATE_LIMIT_SOURCE_CAP": "3/hour", **redis})
    for _ in range(3):
        pacing.admit("blog.example")
        pacing.count("blog.example")
    with pytest.raises(RateLimited) as caught:
        pacing.admit("blog.example")
    assert 3590 <= caught.value.retry_after <= 3600
    assert caught.value.status == 429 and caught.value.fault == 0
    assert "Too many mentions from blog.example (at most 3 per 1 hour)" in str(caught.value)
    pacing.admit("other.example")
    assert pacing.delay("blog.example") == 0
    assert 59 <= pacing.delay("blog.example") <= 60


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("blog.example", "blog.example"),
        ("a.evil.example", "evil.example"),
        ("x.y.z.evil.example", "evil.example"),
        ("Blog.Example.", "blog.example"),
        ("www.bbc.co.uk", "bbc.co.uk"),  # a public suffix of two labels
        ("alice.github.io", "alice.github.io"),  # a private suffix: each user its own
        ("github.io", "github.io"),  # a public suffix itself
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
    ],
)
def test_subdomains_share_their_registrable_domains_pace(host: str, key: str) -> None:
    assert pace_key(host) == key


def test_a_wildcard_domains_names_share_one_pace_and_one_cap() -> None:
    pacing = _pacing({"RATE_LIMIT_SOURCE": "1/minute", "RATE_LIMIT_SOURCE_CAP": "2/hour"})
    assert pacing.delay("a.evil.example") == 0
    assert 59 <= pacing.delay("b.evil.example") <= 60
    for name in ("c.evil.example", "d.evil.example"):
        pacing.admit(name)
        pacing.count(name)
    with pytest.raises(RateLimited, match="from evil.example"):
        pacing.admit("e.evil.example")


def test_only_a_stored_new_mention_spends_the_cap(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown targets and the same ping again cost a domain nothing, so nobody can spend
    another domain's cap to have its real mentions refused."""
    paced = {**_paced_settings(settings, 1), "PINGSVC_RATE_LIMIT_SOURCE_CAP": "2/hour"}
    app = make_app(paced, monkeypatch)
    client = app.test_client()
    source = "https://victim.example/post"
    for n in range(5):
        refused = client.post(
            "/webmention", data={"source": source, "target": f"https://nowhere.example/{n}"}
        )
        assert refused.status_code == 400, refused.get_json()
    for _ in range(5):  # the same ping again joins the queued verification
        same = client.post("/webmention", data={"source": source, "target": TARGET})
        assert same.status_code == 201, same.get_json()
    other = client.post("/webmention", data={"source": source, "target": TARGET + "?b"})
    assert other.status_code == 201, other.get_json()
    third = client.post("/webmention", data={"source": source, "target": TARGET + "?c"})
    assert third.status_code == 429, third.get_json()
    services(app).db.dispose()


def test_a_resend_while_a_worker_verifies_waits_for_its_domains_turn(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-send mid-verification queues another try; past the domain's pace, that try's
    queue mark is its turn, so the sweeper doesn't send it early. On main only a mark no
    worker had claimed was moved: this one stayed at the time of the request."""
    app = make_app(_paced_settings(settings, every=60), monkeypatch)
    client = app.test_client()
    source = pages.add("/pace/resend.html", PAGE.format(target=TARGET))
    first = client.post("/webmention", data={"source": source, "target": TARGET})
    mention_id = int(first.headers["Location"].rsplit("/", 1)[1])
    with services(app).db.session() as session:  # a worker has claimed it and is reading
        row = session.get(Mention, mention_id)
        assert row is not None and row.queued_at is not None
        row.attempts, row.lease_until = 1, row.queued_at + timedelta(seconds=60)
        session.commit()
    again = client.post("/webmention", data={"source": source, "target": TARGET})
    assert again.status_code == 201, again.get_json()
    (row,) = _rows(app, [mention_id])
    assert row.queued_at is not None and row.updated_at is not None
    assert row.queued_at >= row.updated_at + timedelta(seconds=50)  # its turn, a minute on
    services(app).db.dispose()


def test_a_store_that_is_down_defers_and_refuses_nothing() -> None:
    pacing = _pacing(
        {
            "RATE_LIMIT_SOURCE": "1/minute",
            "RATE_LIMIT_SOURCE_CAP": "1/hour",
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    for _ in range(3):
        pacing.admit("blog.example")
        pacing.count("blog.example")
        assert pacing.delay("blog.example") == 0


@pytest.mark.parametrize("name", ["RATE_LIMIT_SOURCE", "RATE_LIMIT_SOURCE_CAP"])
def test_a_setting_that_is_not_a_rate_is_named(name: str) -> None:
    config = {"RATE_LIMIT_SOURCE": "30/minute", "RATE_LIMIT_SOURCE_CAP": "1000/hour"}
    with pytest.raises(ValueError, match=f"PINGSVC_{name}='often' is not a rate limit"):
        _pacing({**config, name: "often"})


# With a real worker, on the embedded broker (kombu's filesystem transport) and on Redis.

PAGE = '<html><body><p>Read <a href="{target}">the post</a>.</p></body></html>'


def _paced_settings(settings: dict[str, str], every: int) -> dict[str, str]:
    return {
        **settings,
        "PINGSVC_RATE_LIMIT_ENABLED": "true",
        "PINGSVC_RATE_LIMIT": "1000/minute",
        "PINGSVC_RATE_LIMIT_SOURCE": f"1/{every}second",
        "PINGSVC_RATE_LIMIT_SOURCE_CAP": "1000/hour",
    }


@pytest.fixture(params=["embedded", "production"])
def install(request: pytest.FixtureRequest, settings: dict[str, str]) -> dict[str, str]:
    if request.param == "embedded":
        return settings
    return request.getfixturevalue("production_settings")  # type: ignore[no-any-return]


def _send_burst(
    app: Flask, pages: PageServer, name: str, count: int
) -> tuple[list[int], list[float]]:
    """Send `count` webmentions from one domain; their ids, and how long after its arrival each
    verification was queued to run (read at once: a worker may verify the first one soon)."""
    client = app.test_client()
    ids, waits = [], []
    for n in range(count):
        source = pages.add(
            f"/pace/{name}/{uuid.uuid4().hex[:6]}-{n}.html", PAGE.format(target=TARGET)
        )
        answer = client.post("/webmention", data={"source": source, "target": TARGET})
        assert answer.status_code == 201
        ids.append(int(answer.headers["Location"].rsplit("/", 1)[1]))
        (row,) = _rows(app, ids[-1:])
        waits.append((row.queued_at - row.received_at).total_seconds() if row.queued_at else 0)
    return ids, waits


def _rows(app: Flask, ids: list[int]) -> list[Mention]:
    with services(app).db.session() as session:
        return [session.get(Mention, i) for i in ids]  # type: ignore[misc]


def _all_approved(app: Flask, ids: list[int]) -> bool:
    return all(m.status == APPROVED and m.queued_at is None for m in _rows(app, ids))


@pytest.mark.integration
def test_a_real_worker_verifies_deferred_mentions_at_their_turn(
    install: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paced = _paced_settings(install, every=3)
    app = make_app(paced, monkeypatch)
    worker = start_worker(paced, tmp_path / "worker.log")
    try:
        ids, waits = _send_burst(app, pages, "turns", 3)
        assert waits[0] == 0 and 0 < waits[1] <= 3 and 3 < waits[2] <= 6  # one per 3 s
        assert wait_for(lambda: _all_approved(app, ids), 60), worker.output()
        for row, wait in zip(_rows(app, ids), waits, strict=True):
            turn = row.received_at + timedelta(seconds=wait)
            assert row.verified_at is not None and row.verified_at >= turn  # not before it
    finally:
        worker.stop()
        services(app).db.dispose()


def _lose_the_queued_messages(settings: dict[str, str]) -> None:
    if settings.get("PINGSVC_REDIS_URL"):
        import redis

        client = redis.Redis.from_url(settings["PINGSVC_REDIS_URL"])
        keys = list(client.scan_iter(f"{settings['PINGSVC_QUEUE']}*"))
        assert keys  # the messages were there
        client.delete(*keys)
        client.close()
    else:
        files = list((Path(settings["PINGSVC_VAR_DIR"]) / "queue").iterdir())
        assert files
        for path in files:
            path.unlink()


@pytest.mark.integration
def test_a_deferred_mention_whose_message_is_lost_is_swept_after_its_turn(
    install: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paced = _paced_settings(install, every=4)  # PINGSVC_SWEEP_AFTER is 2 s here
    app = make_app(paced, monkeypatch)
    ids, waits = _send_burst(app, pages, "lost", 2)  # no worker yet: nothing runs
    _lose_the_queued_messages(paced)
    worker = start_worker(paced, tmp_path / "worker.log", "--beat")  # with the sweeper
    try:
        assert wait_for(lambda: _all_approved(app, ids), 60), worker.output()
        deferred = _rows(app, ids)[1]
        assert waits[1] > 0
        turn = deferred.received_at + timedelta(seconds=waits[1])
        assert deferred.verified_at is not None and deferred.verified_at >= turn
        assert "sweeper re-queued" in worker.output()
    finally:
        worker.stop()
        services(app).db.dispose()
