"""pingsvc.announcements: the worker's announcement reaches the pings watching the mention through
real Redis; a lost subscription turns the watches to polling; the waiting slots bound the pings
that wait. Then a real worker, on either install: a waiting ping is answered with the verdict,
through the announcement on PostgreSQL + Redis, and "queued" at once when no slot is free."""

from __future__ import annotations

import threading
import uuid
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import event, select

from pingsvc import services
from pingsvc.announcements import Verdicts, announce, channel, verdicts
from pingsvc.models import Mention
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

LINKING = '<html><body><p>Read <a href="{target}">his post</a>.</p></body></html>'


def listening(redis_url: str) -> Verdicts:
    """A subscribed listener on a channel of its own."""
    found = Verdicts(redis_url, f"pingsvc-test-waiting-{uuid.uuid4().hex[:8]}", slots=4)
    with found.watch(0):  # the first watch starts the listener
        pass
    assert wait_for(lambda: found.generation is not None, 10)
    return found


def queue_of(found: Verdicts) -> str:
    return found.channel.removesuffix("-verdicts")


def test_an_announcement_wakes_the_pings_watching_that_mention(redis_url: str) -> None:
    found = listening(redis_url)
    with found.watch(7) as seven, found.watch(7) as again, found.watch(8) as eight:
        assert (seven.live, seven.woken) == (True, False)
        announce(redis_url, queue_of(found), 7)
        assert seven.wait(10) and again.wait(10)  # every ping of the mention hears it
        assert not eight.woken
        assert found.heard(7) and not found.heard(8)


def test_an_announcement_heard_before_the_watch_began_counts(redis_url: str) -> None:
    found = listening(redis_url)
    announce(redis_url, queue_of(found), 9)
    assert wait_for(lambda: found.heard(9), 10)
    with found.watch(9) as watch:
        assert watch.live and watch.woken


def test_another_install_s_announcements_are_not_heard(redis_url: str) -> None:
    found, other = listening(redis_url), listening(redis_url)
    announce(redis_url, queue_of(other), 11)
    assert wait_for(lambda: other.heard(11), 10)
    assert not found.heard(11)


def test_a_lost_subscription_wakes_the_watches_to_poll_until_it_is_back(redis_url: str) -> None:
    found = listening(redis_url)
    client = redis.Redis.from_url(redis_url)
    with found.watch(12) as watch:
        first = found.generation
        (listener,) = [c for c in client.client_list() if c["name"] == found.channel]
        client.client_kill_filter(_id=listener["id"])
        assert watch.wait(10)  # woken to read the row, and polls from now on
        assert not watch.live
    assert wait_for(lambda: found.generation not in (None, first), 20)  # subscribed again
    with found.watch(13) as later:
        assert later.live
        announce(redis_url, queue_of(found), 13)
        assert later.wait(10)
    client.close()


def test_a_url_redis_py_refuses_leaves_the_listener_alive_and_the_watches_polling() -> None:
    found = Verdicts("nosuch://127.0.0.1:1/0", f"pingsvc-test-bad-{uuid.uuid4().hex[:8]}", 4)
    with found.watch(14) as watch:
        assert not watch.live
    assert wait_for(lambda: found._thread is not None, 5)
    threading.Event().wait(0.5)  # a refused URL used to end the thread at once
    assert found._thread is not None and found._thread.is_alive()
    assert found.generation is None


def test_without_redis_a_watch_polls_and_announcing_sends_nothing() -> None:
    found = Verdicts(None, "pingsvc-test-embedded", slots=4)
    announce(None, "pingsvc-test-embedded", 3)
    with found.watch(3) as watch:
        assert not watch.live
        assert found.generation is None


@pytest.mark.parametrize("slots", [0, 1, 3])
def test_the_waiting_slots_bound_the_pings_that_wait(slots: int) -> None:
    found = Verdicts(None, "pingsvc-test-slots", slots=slots)
    held = []
    for _ in range(slots + 2):
        context = found.slot()
        held.append((context, context.__enter__()))
    assert [taken for _, taken in held] == [True] * slots + [False, False]
    for context, _ in reversed(held):
        context.__exit__(None, None, None)
    with found.slot() as taken:
        assert taken == (slots > 0)  # given back


def test_the_channel_is_named_after_the_install_s_queue() -> None:
    assert channel("pingsvc") == "pingsvc-verdicts"


# A real worker.


def ping(app: Flask, source: str) -> str:
    body = xmlrpc.client.dumps((source, TARGET), "pingback.ping").encode()
    response = app.test_client().post("/xmlrpc", data=body, content_type="text/xml")
    (result,), _ = xmlrpc.client.loads(response.data)
    return str(result)


def mention_id(app: Flask, source: str) -> int:
    with services(app).db.session() as session:
        found = session.scalar(select(Mention.id).where(Mention.source == source))
    assert found is not None
    return found


@pytest.mark.integration
def test_a_waiting_ping_gets_its_verdict_and_queued_when_no_slot_is_free(
    either_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    app = make_app(either_settings, monkeypatch)
    app.config["PINGBACK_WAIT"] = 20.0
    database = services(app).db.dialect
    reads: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT") and "WHERE mention.id = " in statement:
            reads.append(statement)  # the wait's reads of the row

    event.listen(services(app).db.engine, "before_cursor_execute", note)
    waits = verdicts(app)
    if database == "postgresql":  # the listener subscribed before the first ping
        with waits.watch(0):
            pass
        assert wait_for(lambda: waits.generation is not None, 10)
    worker = start_worker(either_settings, tmp_path / "worker.log")
    try:
        # The page answers after a second: a poll would read the row many times meanwhile.
        slow = pages.add(f"/wait/{database}/slow.html", LINKING.format(target=TARGET), delay=1.0)
        assert ping(app, slow).endswith("registered. Keep the web talking! :-)")
        if database == "postgresql":  # woken by the worker's announcement: one read
            assert waits.heard(mention_id(app, slow))
            assert len(reads) == 1, reads
        # Each try that fails is announced too (its retry noted); the last one is the verdict.
        failing = pages.add(f"/wait/{database}/busy-503.html", "<h1>Busy</h1>", status=503)
        with pytest.raises(xmlrpc.client.Fault) as caught:
            ping(app, failing)
        assert caught.value.faultCode == 50
        if database == "postgresql":
            assert waits.heard(mention_id(app, failing))
        held = [waits.slot() for _ in range(waits.slots)]
        assert all(context.__enter__() for context in held)
        try:  # every slot taken: answered at once, and still verified
            busy = pages.add(f"/wait/{database}/busy.html", LINKING.format(target=TARGET))
            assert "queued for verification. Status: " in ping(app, busy)
        finally:
            for context in held:
                context.__exit__(None, None, None)
        status = app.test_client().get(f"/webmention/status/{mention_id(app, busy)}")
        assert wait_for(
            lambda: app.test_client()
            .get(f"/webmention/status/{mention_id(app, busy)}")
            .get_json()["status"]
            == "approved",
            30,
        ), status.get_json()
    finally:
        worker.stop()
        services(app).db.dispose()


@pytest.mark.integration
def test_only_a_pingback_s_verdict_is_announced(
    production_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """No sender waits for a webmention's verdict: the worker announces none (a PUBLISH a
    verification for nobody); a pingback's it announces, as the waiting ping needs."""
    app = make_app(production_settings, monkeypatch)
    waits = verdicts(app)
    with waits.watch(0):  # the listener subscribed before the first verdict
        pass
    assert wait_for(lambda: waits.generation is not None, 10)
    worker = start_worker(production_settings, tmp_path / "worker.log")
    try:
        webmention = pages.add("/announce/webmention.html", LINKING.format(target=TARGET))
        sent = app.test_client().post("/webmention", data={"source": webmention, "target": TARGET})
        assert sent.status_code == 201
        status_url = sent.headers["Location"].removeprefix(app.config["BASE_URL"])
        assert wait_for(
            lambda: app.test_client().get(status_url).get_json()["status"] == "approved", 30
        )
        pingback = pages.add("/announce/pingback.html", LINKING.format(target=TARGET))
        assert ping(app, pingback).endswith("registered. Keep the web talking! :-)")
        # Announcements come in order on the one channel: the pingback's was heard, so the
        # webmention's would have been before it.
        assert wait_for(lambda: waits.heard(mention_id(app, pingback)), 10)
        assert not waits.heard(mention_id(app, webmention))
    finally:
        worker.stop()
        services(app).db.dispose()
