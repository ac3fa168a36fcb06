"""send.store: one row per (source, target), claims limited per receiving host, results."""

from __future__ import annotations

import pytest
from flask import Flask

from pingsvc.db import Database, services
from pingsvc.models import ACCEPTED, QUEUED, Outgoing, Site
from pingsvc.send import store

POST = "https://blog.example/post/1"


def _site_id(db: Database) -> int:
    with db.session() as session:
        site = session.query(Site).filter_by(host="blog.example").one()
        return site.id


def _queue(db: Database, *targets: str, linked: bool = True) -> list[int]:
    site_id = _site_id(db)
    with db.session() as session:
        ids = [store.upsert(session, site_id, POST, t, linked=linked) for t in targets]
        session.commit()
    return ids


def test_a_second_send_of_a_pair_reuses_its_row_and_queues_it_again(app: Flask) -> None:
    db = services(app).db
    [first] = _queue(db, "https://a.example/x")
    claimed = store.claim(db, first, lease=30, per_host=3)
    assert claimed is not None and claimed.attempts == 1
    store.finish(db, first, ACCEPTED, protocol="webmention", http_code=202)
    [again] = _queue(db, "https://a.example/x", linked=False)
    assert again == first
    with db.session() as session:
        row = session.get(Outgoing, first)
        assert row is not None
        assert (row.status, row.attempts, row.linked) == (QUEUED, 0, False)
        # The public id stays: a location handed out earlier keeps answering.
        assert row.public_id == claimed_public_id(db, first)
        assert store.earlier_targets(session, POST) == ["https://a.example/x"]


def claimed_public_id(db: Database, outgoing_id: int) -> str:
    with db.session() as session:
        row = session.get(Outgoing, outgoing_id)
        assert row is not None
        return row.public_id


def test_public_ids_are_long_and_distinct(app: Flask) -> None:
    db = services(app).db
    ids = _queue(db, "https://a.example/1", "https://a.example/2")
    public = {claimed_public_id(db, i) for i in ids}
    assert len(public) == 2 and all(len(p) >= 22 for p in public)


def test_a_host_gets_at_most_per_host_deliveries_at_once(app: Flask) -> None:
    db = services(app).db
    ids = _queue(db, *(f"https://busy.example/{n}" for n in range(3)), "https://calm.example/")
    assert store.claim(db, ids[0], lease=30, per_host=2) is not None
    assert store.claim(db, ids[1], lease=30, per_host=2) is not None
    with pytest.raises(store.HostBusy):
        store.claim(db, ids[2], lease=30, per_host=2)
    # Another host is not held up by the busy one.
    assert store.claim(db, ids[3], lease=30, per_host=2) is not None
    # A finished delivery frees its place.
    store.finish(db, ids[0], ACCEPTED)
    assert store.claim(db, ids[2], lease=30, per_host=2) is not None


def test_a_running_send_is_not_claimed_twice_and_a_final_one_not_at_all(app: Flask) -> None:
    db = services(app).db
    [outgoing_id] = _queue(db, "https://a.example/x")
    assert store.claim(db, outgoing_id, lease=30, per_host=5) is not None
    with pytest.raises(store.HostBusy):
        store.claim(db, outgoing_id, lease=30, per_host=5)
    store.finish(db, outgoing_id, ACCEPTED)
    assert store.claim(db, outgoing_id, lease=30, per_host=5) is None
    with pytest.raises(ValueError):
        store.finish(db, outgoing_id, QUEUED)


def test_the_sweeper_finds_queued_sends_whose_message_was_lost(app: Flask) -> None:
    db = services(app).db
    lost, retrying = _queue(db, "https://a.example/lost", "https://a.example/later")
    store.note_retry(db, retrying, "the endpoint returned 503", countdown=3600)
    assert store.due_ids(db, older_than=-1) == [lost]
    with db.session() as session:
        row = session.get(Outgoing, retrying)
        assert row is not None and row.last_error == "the endpoint returned 503"
        assert store.status_document(row)["summary"] == "the endpoint returned 503"
        assert store.all_final(session, [lost, retrying]) is False


def test_the_host_limit_holds_on_postgresql(production_app: Flask) -> None:
    db = services(production_app).db
    ids = _queue(db, *(f"https://busy.example/{n}" for n in range(3)))
    assert store.claim(db, ids[0], lease=30, per_host=2) is not None
    assert store.claim(db, ids[1], lease=30, per_host=2) is not None
    with pytest.raises(store.HostBusy):
        store.claim(db, ids[2], lease=30, per_host=2)


def test_a_pair_sent_again_while_it_runs_is_left_queued_for_the_new_send(app: Flask) -> None:
    """The running try's result is stale (the post changed, endpoints are discovered anew):
    it is dropped, its claim released, and the new send's message delivers the pair."""
    db = services(app).db
    [outgoing_id] = _queue(db, "https://a.example/x")
    running = store.claim(db, outgoing_id, lease=30, per_host=3)
    assert running is not None
    _queue(db, "https://a.example/x")  # the author sends the post again meanwhile
    assert store.finish(db, outgoing_id, ACCEPTED, attempts=running.attempts) is None
    assert not store.note_retry(db, outgoing_id, "503", 10, attempts=running.attempts)
    with db.session() as session:
        row = session.get(Outgoing, outgoing_id)
        assert row is not None and row.status == QUEUED and row.lease_until is None
    again = store.claim(db, outgoing_id, lease=30, per_host=3)
    assert again is not None and again.attempts == 1
    assert store.finish(db, outgoing_id, ACCEPTED, attempts=again.attempts) is not None
