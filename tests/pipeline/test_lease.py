"""Leases: a verification that is running is neither re-sent by the sweeper nor claimed by a
second message, its worker's heartbeat keeps it so, and only tries whose worker really died
count as stops."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.extract.entry import MentionData
from pingsvc.models import Mention, utcnow
from pingsvc.pipeline import lease, steps, sweep
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

REPLY = f'<article class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a></article>'


def _send(app: Flask, source: str) -> int:
    answer = app.test_client().post("/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 201, answer.get_json()
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def _row(app: Flask, mention_id: int) -> Mention:
    with services(app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        session.expunge(mention)
        return mention


class Running:
    """process_mention of one mention in a thread, on a page that answers after `delay` s."""

    def __init__(self, app: Flask, mention_id: int) -> None:
        self.outcome: list[Any] = []
        shared = services(app)

        def run() -> None:
            try:
                self.outcome.append(steps.process_mention(shared.db, mention_id, shared.pipeline))
            except Exception as exc:  # noqa: BLE001 - the outcome under test
                self.outcome.append(exc)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def result(self) -> Any:
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.outcome[0]


@pytest.fixture
def slow_app(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Flask:
    return make_app({**settings, "PINGSVC_FETCH_TIMEOUT": "20"}, monkeypatch)


def test_the_sweeper_does_not_resend_a_verification_that_is_running(
    slow_app: Flask, pages: PageServer
) -> None:
    mention_id = _send(slow_app, pages.add("/lease/slow", REPLY, delay=3))
    running = Running(slow_app, mention_id)
    assert wait_for(lambda: "/lease/slow" in pages.hits, 20)  # claimed, fetching
    db = services(slow_app).db
    assert sweep.pending_ids(db, older_than=-1) == []
    assert running.result().status == "approved"
    assert _row(slow_app, mention_id).lease_until is None  # the verdict ended the lease


def test_a_second_message_for_a_running_verification_waits_and_counts_no_stop(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On main, each duplicate claimed the running try again, counted it, and past
    max_tries + 1 claims the mention ended "stopped the worker N times" though none did."""
    app = make_app({**settings, "PINGSVC_FETCH_TIMEOUT": "20", "PINGSVC_VERIFY_MAX_TRIES": "1"},
                   monkeypatch)  # fmt: skip
    mention_id = _send(app, pages.add("/lease/dup", REPLY, delay=3))
    running = Running(app, mention_id)
    assert wait_for(lambda: "/lease/dup" in pages.hits, 20)
    shared = services(app)
    for _ in range(3):  # the sweeper's or the broker's duplicates of the same message
        with pytest.raises(steps.RetryLater, match="being verified by another worker"):
            steps.process_mention(shared.db, mention_id, shared.pipeline)
    outcome = running.result()
    assert (outcome.status, outcome.error) == ("approved", None)
    row = _row(app, mention_id)
    assert (row.attempts, row.stops, row.lease_until) == (0, 0, None)


def test_the_heartbeat_renews_a_lease_while_the_try_runs(app: Flask) -> None:
    mention_id = _send(app, "https://a.example/heartbeat")
    shared = services(app)
    from pingsvc.pipeline import store

    claimed = store.claim(shared.db, mention_id, 3.0)
    assert claimed is not None
    first = _row(app, mention_id).lease_until
    assert first is not None
    with lease.held(shared.db, mention_id, 3.0):
        assert wait_for(lambda: (_row(app, mention_id).lease_until or first) > first, 30)
        assert sweep.pending_ids(shared.db, older_than=-1) == []


def test_a_shorter_lease_is_renewed_in_time_while_a_longer_one_is_held(app: Flask) -> None:
    # The heartbeat had timed its next beat for the 600 s lease (in 200 s); the 3 s lease
    # claimed after it must still be renewed within its own third.
    shared = services(app)
    from pingsvc.pipeline import store

    long_id = _send(app, "https://a.example/long")
    short_id = _send(app, "https://a.example/short")
    assert store.claim(shared.db, long_id, 600.0) is not None
    with lease.held(shared.db, long_id, 600.0):
        assert store.claim(shared.db, short_id, 3.0) is not None
        first = _row(app, short_id).lease_until
        assert first is not None
        with lease.held(shared.db, short_id, 3.0):
            assert wait_for(lambda: (_row(app, short_id).lease_until or first) > first, 30)


def test_a_long_lease_held_after_a_short_one_ended_keeps_its_own_pace(app: Flask) -> None:
    # The beat was timed for the 3 s lease (in 1 s); that lease ends and a 600 s one is held:
    # the next beat is due in 200 s, so nothing renews the long lease within the next 2 s.
    shared = services(app)
    from pingsvc.pipeline import store

    short_id = _send(app, "https://a.example/short-then-long")
    long_id = _send(app, "https://a.example/long-after-short")
    assert store.claim(shared.db, short_id, 3.0) is not None
    with lease.held(shared.db, short_id, 3.0):
        threading.Event().wait(0.3)  # the heartbeat times its beat for this lease
    assert store.claim(shared.db, long_id, 600.0) is not None
    first = _row(app, long_id).lease_until
    with lease.held(shared.db, long_id, 600.0):
        threading.Event().wait(2.0)  # past the short lease's beat
        assert _row(app, long_id).lease_until == first


def test_a_dead_workers_mention_is_resent_once_its_lease_ran_out_and_counts_one_stop(
    app: Flask, pages: PageServer
) -> None:
    mention_id = _send(app, pages.add("/lease/dead", REPLY))
    shared = services(app)
    from pingsvc.pipeline import store

    assert store.claim(shared.db, mention_id, 60.0) is not None  # then the worker died
    assert sweep.pending_ids(shared.db, older_than=-1) == []  # its lease still holds
    with shared.db.session() as session:  # a minute later
        mention = session.get(Mention, mention_id)
        assert mention is not None
        mention.lease_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert sweep.pending_ids(shared.db, older_than=-1) == [mention_id]
    claimed = store.claim(shared.db, mention_id, 60.0)
    assert claimed is not None and (claimed.attempts, claimed.stops) == (2, 1)


def test_a_transient_failure_ends_its_lease_without_a_stop(app: Flask, pages: PageServer) -> None:
    mention_id = _send(app, pages.add("/lease/503", "busy", status=503))
    shared = services(app)
    with pytest.raises(steps.RetryLater):
        steps.process_mention(shared.db, mention_id, shared.pipeline)
    row = _row(app, mention_id)
    assert (row.attempts, row.stops, row.lease_until) == (1, 0, None)


@pytest.mark.parametrize("where", ["inspect", "store"])
def test_an_error_of_ours_ends_its_lease_and_counts_no_stop(
    app: Flask, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A bug in a child, a database error in store, a child that would not start: on main
    the lease stayed set, the next claim counted a stop, and after max_tries + 1 of them the
    mention was rejected "stopped the worker N times" (deleted had it been shown)."""
    from pingsvc.pipeline import store

    mention_id = _send(app, "https://a.example/bug")
    shared = services(app)

    def bug(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("reading the source page failed in its child process: a bug")

    if where == "store":
        monkeypatch.setattr(steps, "inspect", lambda *_a, **_k: MentionData())
    monkeypatch.setattr(steps if where == "inspect" else store, where, bug)
    with pytest.raises(RuntimeError, match="a bug"):
        steps.process_mention(shared.db, mention_id, shared.pipeline)
    row = _row(app, mention_id)
    assert (row.attempts, row.stops, row.lease_until) == (1, 0, None)
    assert row.queued_at is not None  # still queued: the sweeper sends it again
    assert sweep.pending_ids(shared.db, older_than=-1) == [mention_id]
    claimed = store.claim(shared.db, mention_id, 60.0)
    assert claimed is not None and (claimed.attempts, claimed.stops) == (2, 0)


@pytest.mark.parametrize("shown", [False, True])
def test_an_error_of_ours_that_recurs_ends_after_max_tries(
    app: Flask, monkeypatch: pytest.MonkeyPatch, shown: bool
) -> None:
    """On main a bug that recurred on one page was swept and tried again forever (only
    stops were capped). After max_tries a new mention is rejected saying it was our error;
    a shown one keeps its verdict, the reason noted."""
    from tests.support.mentions import update

    mention_id = _send(app, f"https://a.example/recurring-{shown}")
    if shown:
        update(app, mention_id, status="approved")
    shared = services(app)

    def bug(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(steps, "inspect", bug)
    tries = shared.pipeline.max_tries
    for _ in range(tries - 1):
        with pytest.raises(RuntimeError, match="a bug"):
            steps.process_mention(shared.db, mention_id, shared.pipeline)
        assert sweep.pending_ids(shared.db, older_than=-1) == [mention_id]
    outcome = steps.process_mention(shared.db, mention_id, shared.pipeline)
    row = _row(app, mention_id)
    assert outcome is not None and outcome.status == row.status
    assert row.status == ("approved" if shown else "rejected")
    assert row.error == steps.INTERNAL_ERROR.format(attempts=tries)
    assert (row.queued_at, row.lease_until, row.error_kind) == (None, None, "error")
    assert sweep.pending_ids(shared.db, older_than=-1) == []


@pytest.mark.integration
def test_a_mention_whose_worker_was_killed_mid_task_ends_verified_by_the_sweep(
    production_settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    pages: PageServer,
    tmp_path: Path,
) -> None:
    """A real worker on PostgreSQL and Redis takes the verify message, claims the mention
    and is SIGKILLed while it fetches. Redis gives an unacknowledged message back only after
    its visibility timeout (an hour), and an acknowledged one never: the next worker's
    sweeper re-sends the mention once its lease ran out, and the verdict is stored, the
    broker giving nothing back. So the verify task's ack mode adds no recovery."""
    live = {**production_settings, "PINGSVC_FETCH_TIMEOUT": "60"}
    app = make_app(live, monkeypatch)
    first = start_worker(live, tmp_path / "first.log")
    try:
        source = pages.add("/lease/killed", REPLY, delay=60)
        mention_id = _send(app, source)
        assert wait_for(lambda: "/lease/killed" in pages.hits, 30), first.output()
        row = _row(app, mention_id)
        assert (row.attempts, row.status) == (1, "pending") and row.lease_until is not None
    finally:
        first.kill_group()  # SIGKILL: no ack, no requeue, no try's end written
    pages.add("/lease/killed", REPLY)  # the page answers at once now
    second = start_worker(live, tmp_path / "second.log", "--beat")
    try:
        assert wait_for(lambda: _row(app, mention_id).status == "approved", 60), second.output()
        log = second.output()
    finally:
        assert second.stop() == 0
    assert "sweeper re-queued 1 pending mentions" in log
    received = [line for line in log.splitlines() if "pingsvc.verify[" in line]
    received = [line for line in received if "received" in line]
    assert len(received) == 1, log  # the sweeper's message: the broker gave none back
    row = _row(app, mention_id)
    assert (row.lease_until, row.queued_at) == (None, None)
    services(app).db.dispose()
