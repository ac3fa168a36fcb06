"""Crashed parts and outages: nothing accepted is ever lost.

The broker down while webmentions arrive, a worker SIGKILLed mid-task (PostgreSQL + Redis,
where acks_late redelivers, and embedded, where the sweeper recovers), PostgreSQL dropping
every connection, many processes sending the same pair at once, and SIGTERM to the whole
service while a request and a task are in flight. Real processes only where the behaviour
needs them.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import xmlrpc.client
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from pingsvc import services
from pingsvc.db import Database
from pingsvc.models import Mention, Site, utcnow
from pingsvc.pipeline import steps, sweep
from pingsvc.receive.accept import accept
from tests.conftest import POSTGRES_ADMIN_URL, TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import free_port, start_serve, start_worker, wait_for

REPLY = f"""<article class="h-entry"><a class="p-author h-card" href="/">Dana</a>
<p class="e-content">Agreed! <a class="u-in-reply-to" href="{TARGET}">your post</a></p></article>"""


def _status(app: Flask, mention_id: int) -> str:
    return str(app.test_client().get(f"/webmention/status/{mention_id}").get_json()["status"])


def _send(app: Flask, source: str) -> int:
    answer = app.test_client().post("/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 201, answer.get_json()
    return int(answer.headers["Location"].rsplit("/", 1)[1])


# In process.


def test_a_verification_that_keeps_killing_the_worker_is_given_up(
    app: Flask, pages: PageServer
) -> None:
    """Each try that died left its lease set and the queue mark, so the sweeper sends it
    again once the lease ran out; past the retry budget it ends rejected instead of looping
    forever."""
    mention_id = _send(app, pages.add("/crash/poison", REPLY))
    shared = services(app)
    with shared.db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        mention.attempts = shared.pipeline.max_tries + 1  # as many tries died mid-way
        mention.stops = shared.pipeline.max_tries  # counted at the claims after them...
        mention.lease_until = utcnow() - timedelta(seconds=1)  # ...and the last one's ran out
        session.commit()
    outcome = steps.process_mention(shared.db, mention_id, shared.pipeline)
    assert outcome is not None and outcome.status == "rejected"
    body = app.test_client().get(f"/webmention/status/{mention_id}").get_json()
    assert "stopped the worker 6 times" in body["error"]


def test_the_sweeper_finds_only_verifications_queued_too_long_ago(app: Flask) -> None:
    shared = services(app)
    with shared.db.session() as session:
        site = session.scalars(sa.select(Site)).one()
        old, fresh = (
            Mention(site_id=site.id, source=f"https://a.example/{n}", target=TARGET,
                    target_key="blog.example/post/1", queued_at=utcnow() - age)
            for n, age in ((1, timedelta(minutes=10)), (2, timedelta(seconds=0)))
        )  # fmt: skip
        session.add_all([old, fresh])
        session.commit()
        old_id = old.id
    assert sweep.pending_ids(shared.db, older_than=300) == [old_id]
    assert sweep.pending_ids(shared.db, older_than=300) == []  # marked as sent again


def _drop_connections(engine: sa.Engine) -> int:
    """PostgreSQL ends every connection to the engine's database, as a restart would; returns
    once the backends are gone (the pooled connections are left with their FATAL and EOF)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": engine.url.database},
        ).scalar_one()
    admin.dispose()
    return int(killed)


@pytest.mark.integration
def test_postgres_dropping_every_connection_does_not_fail_the_next_request(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, pages: PageServer
) -> None:
    app = make_app(production_settings, monkeypatch)
    first = _send(app, pages.add("/crash/pg-1", REPLY))
    engine = services(app).db.engine
    assert engine.pool.checkedin() >= 1  # a pooled connection the server is about to drop
    assert _drop_connections(engine) >= 1
    second = _send(app, pages.add("/crash/pg-2", REPLY))  # the dead connection is replaced
    assert second != first
    assert _status(app, first) == "pending"
    assert _queued_messages(app) == 2  # the second one was enqueued too
    services(app).db.dispose()


def _queued_messages(app: Flask) -> int:
    import redis

    client = redis.Redis.from_url(app.config["REDIS_URL"])
    try:
        return int(client.llen(app.config["QUEUE"]))  # type: ignore[arg-type]
    finally:
        client.close()


def _terminate_on_next_checkout(engine: sa.Engine) -> Callable[..., None]:
    """The next connection taken from the pool passes the idle check, then its backend is
    terminated before the statement reaches it: a drop no checkout can see coming. Returns
    the listener, for sa.event.remove."""
    armed = [True]

    def terminate(_dbapi: Any, _record: Any, proxy: Any) -> None:
        if not armed:
            return
        armed.clear()
        pid = proxy.dbapi_connection.info.backend_pid
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
        admin.dispose()

    sa.event.listen(engine, "checkout", terminate)
    return terminate


@pytest.mark.integration
def test_an_accept_whose_connection_dies_mid_statement_is_sent_again_and_still_enqueues(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accept statement is sent once more on a new connection. The first try may have
    committed before its connection died; the second then finds the pair queued by "an
    earlier request" (itself), so it enqueues anyway: a message too many is harmless, a
    message too few waits for the sweeper."""
    app = make_app(production_settings, monkeypatch)
    db = services(app).db
    source = "https://alice.example/dropped"
    queued: list[int] = []
    first = accept(db, source, TARGET, "webmention", queued.append)
    again = accept(db, source, TARGET, "webmention", queued.append)
    assert again.coalesced and queued == [first.mention_id]  # a flood costs one message
    listener = _terminate_on_next_checkout(db.engine)
    retried = accept(db, source, TARGET, "webmention", queued.append)
    sa.event.remove(db.engine, "checkout", listener)
    assert retried.mention_id == first.mention_id and not retried.coalesced
    assert queued == [first.mention_id, first.mention_id]
    db.dispose()


@pytest.mark.integration
def test_postgres_dropping_every_connection_does_not_fail_the_next_verification(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, pages: PageServer
) -> None:
    """The worker's pooled connections die too; its next claim and verdict get live ones."""
    app = make_app(production_settings, monkeypatch)
    shared = services(app)
    first = _send(app, pages.add("/crash/pg-verify-1", REPLY))
    second = _send(app, pages.add("/crash/pg-verify-2", REPLY))
    outcome = steps.process_mention(shared.db, first, shared.pipeline)
    assert outcome is not None and outcome.status == "approved"
    assert _drop_connections(shared.db.engine) >= 1
    outcome = steps.process_mention(shared.db, second, shared.pipeline)
    assert outcome is not None and outcome.status == "approved"
    assert _status(app, second) == "approved"
    shared.db.dispose()


def _send_same_pair(url: str, barrier: Any, tries: int) -> list[tuple[int, bool]]:
    """One sending process: its own engine, sending the same pair `tries` times at once with
    the others. Returns (mention id, enqueued a message) per try."""
    db = Database(url)
    sent: list[int] = []
    results = []
    barrier.wait()
    try:
        for _ in range(tries):
            count = len(sent)
            accepted = accept(db, "https://alice.example/reply", TARGET, "webmention", sent.append)
            results.append((accepted.mention_id, len(sent) > count))
    finally:
        db.dispose()
    return results


@pytest.mark.integration
def test_concurrent_sends_of_one_pair_from_many_processes_end_as_one_row(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(production_settings, monkeypatch)
    url = app.config["DATABASE_URL"]
    services(app).db.dispose()
    processes, tries = 8, 5
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(processes)
        with context.Pool(processes) as pool:
            results = pool.starmap(_send_same_pair, [(url, barrier, tries)] * processes)
    flat = [item for per_process in results for item in per_process]
    assert len(flat) == processes * tries
    assert len({mention_id for mention_id, _ in flat}) == 1
    assert sum(enqueued for _, enqueued in flat) == 1  # the rest joined that verification
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM mention")).scalar_one() == 1
    engine.dispose()


# Real workers.


@pytest.mark.integration
def test_webmentions_arriving_while_redis_is_down_are_verified_once_it_is_back(
    production_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    outage = {**production_settings, "PINGSVC_REDIS_URL": dead,
              "PINGSVC_RATE_LIMIT_ENABLED": "true"}  # fmt: skip
    app = make_app(outage, monkeypatch)  # the broker and the rate limiter's store both down
    ids = [_send(app, pages.add(f"/crash/outage-{n}", REPLY)) for n in range(3)]
    assert {_status(app, i) for i in ids} == {"pending"}

    live = {**production_settings, "PINGSVC_SWEEP_AFTER": "1", "PINGSVC_SWEEP_INTERVAL": "1"}
    worker = start_worker(live, tmp_path / "worker.log", "--beat")
    try:
        assert wait_for(lambda: {_status(app, i) for i in ids} == {"approved"}, 60), worker.output()
    finally:
        assert worker.stop() == 0


@pytest.mark.integration
def test_a_worker_killed_mid_task_loses_nothing_on_redis(
    production_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """acks_late: the message stays unacknowledged while the task runs; SIGKILL, and Redis
    delivers it again (after the visibility timeout) to the next worker. No sweeper runs."""
    quick = {**production_settings, "PINGSVC_BROKER_VISIBILITY_TIMEOUT": "2"}
    app = make_app(quick, monkeypatch)
    path = "/crash/slow-redis"
    source = pages.add(path, REPLY, delay=30)
    first = start_worker(quick, tmp_path / "first.log")
    try:
        mention_id = _send(app, source)
        assert wait_for(lambda: path in pages.hits, 30), first.output()  # the task is in flight
        pages.add(path, REPLY)  # answers at once from now on
    finally:
        first.kill_group()
    assert _status(app, mention_id) == "pending"
    second = start_worker(quick, tmp_path / "second.log")
    try:
        assert wait_for(lambda: _status(app, mention_id) == "approved", 60), second.output()
    finally:
        assert second.stop() == 0
    with services(app).db.session() as session:
        assert session.query(Mention).count() == 1


@pytest.mark.integration
def test_a_worker_killed_mid_task_loses_nothing_when_embedded(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The embedded broker can't redeliver a message it handed out; the row still says a
    verification is queued, so the sweeper (beat, run by the next worker) sends it again."""
    app = make_app(settings, monkeypatch)
    path = "/crash/slow-embedded"
    source = pages.add(path, REPLY, delay=30)
    first = start_worker(settings, tmp_path / "first.log")
    try:
        mention_id = _send(app, source)
        assert wait_for(lambda: path in pages.hits, 30), first.output()
        pages.add(path, REPLY)
    finally:
        first.kill_group()
    second = start_worker(settings, tmp_path / "second.log", "--beat")
    try:
        assert wait_for(lambda: _status(app, mention_id) == "approved", 60), second.output()
    finally:
        assert second.stop() == 0
    with services(app).db.session() as session:
        assert session.query(Mention).count() == 1


@pytest.mark.integration
def test_sigterm_lets_the_service_finish_the_request_and_task_in_flight(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SIGTERM to `pingsvc serve` while a pingback waits for its verdict and the worker is
    fetching the slow source: the web server answers the request, the worker finishes the task,
    and both exit cleanly."""
    # The sweeper must not re-send the slow verification while it runs (SWEEP_AFTER is
    # meant to be far longer than a verification; the test settings make it 2 s).
    waiting = {**settings, "PINGSVC_PINGBACK_WAIT": "15", "PINGSVC_SWEEP_AFTER": "300"}
    app = make_app(waiting, monkeypatch)
    serve, base = start_serve(waiting, tmp_path / "serve.log")
    path = "/crash/slow-sigterm"
    source = pages.add(path, REPLY, delay=2)
    answers: list[requests.Response] = []
    body = xmlrpc.client.dumps((source, TARGET), "pingback.ping")
    request = threading.Thread(
        target=lambda: answers.append(requests.post(f"{base}/xmlrpc", data=body, timeout=60))
    )
    try:
        request.start()
        assert wait_for(lambda: path in pages.hits, 30), serve.output()
        code = serve.stop(signal.SIGTERM)
    finally:
        serve.kill_group()
    request.join(60)
    assert code == 0, serve.output()
    (answer,) = answers
    assert answer.status_code == 200
    (result,), _ = xmlrpc.client.loads(answer.content)
    assert "registered" in result
    with services(app).db.session() as session:
        (mention,) = session.query(Mention).all()
        assert mention.status == "approved"


def _assert_database_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.headers["Retry-After"] == "5"
    body = answer.get_json()
    assert body["error"] == "database_unavailable"
    assert "Try again in 5 seconds" in body["error_description"]


def test_a_database_that_refuses_connections_answers_503_with_retry_after(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarting: nothing listens on its port. Not a 500: the request was fine."""
    import os

    from pingsvc import create_app

    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/pingsvc"
    for name in [n for n in os.environ if n.startswith("PINGSVC_") and "_TEST_" not in n]:
        monkeypatch.delenv(name)
    for name, value in {**settings, "PINGSVC_DATABASE_URL": dead}.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    client = app.test_client()
    _assert_database_unavailable(
        client.post("/webmention", data={"source": "https://a.example/r", "target": TARGET})
    )
    _assert_database_unavailable(client.get(f"/api/mentions.jf2?target={TARGET}"))
    # A pingback keeps XML-RPC's contract: HTTP 200 and a fault that says to send it again.
    ping = xmlrpc.client.dumps(("https://a.example/r", TARGET), "pingback.ping")
    answer = client.post("/xmlrpc", data=ping, content_type="text/xml")
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(answer.data)
    assert fault.value.faultCode == 0 and "Try again in 5 seconds" in fault.value.faultString
    # The dashboard's pages say so in HTML, with the same Retry-After.
    with client.session_transaction() as cookie:
        cookie["account_id"] = 1  # a logged-in browser: the page must read its account
    page = client.get("/dashboard/")
    assert page.status_code == 503, page.get_data(as_text=True)[:500]
    assert page.headers["Retry-After"] == "5"
    assert "not answering" in page.get_data(as_text=True)
    services(app).db.dispose()


def test_an_unmigrated_database_is_a_server_error_not_a_wait(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite says "no such table" with an OperationalError too: that needs `pingsvc db
    upgrade`, not a retry, so it is a 500 (logged), never a 503 telling senders to wait."""
    import os

    from pingsvc import create_app

    for name in [n for n in os.environ if n.startswith("PINGSVC_") and "_TEST_" not in n]:
        monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})  # no upgrade: the tables are missing
    answer = app.test_client().get(f"/api/mentions.jf2?target={TARGET}")
    assert answer.status_code == 500, answer.get_data(as_text=True)
    assert "Retry-After" not in answer.headers
    services(app).db.dispose()


@pytest.mark.integration
def test_a_database_lost_mid_run_answers_503_with_retry_after(
    production_app: Flask, postgres_url: str, pages: PageServer
) -> None:
    """The app's database goes away between two requests (dropped, its connections ended):
    the next requests get 503 with Retry-After, never a 500."""
    assert _status(production_app, _send(production_app, pages.add("/crash/lost", REPLY))) == (
        "pending"
    )
    name = sa.engine.make_url(postgres_url).database
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
    client = production_app.test_client()
    _assert_database_unavailable(
        client.post("/webmention", data={"source": pages.url("/crash/lost2"), "target": TARGET})
    )
    _assert_database_unavailable(client.get(f"/api/mentions.jf2?target={TARGET}"))
