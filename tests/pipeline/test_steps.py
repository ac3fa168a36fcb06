"""process_mention: the verdict for each kind of source, stored on the one row of the pair."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from pingsvc import services
from pingsvc.fetch.client import fetch
from pingsvc.models import Mention
from pingsvc.pipeline import steps, sweep
from pingsvc.receive.accept import accept
from tests.conftest import TARGET
from tests.support.pageserver import PageServer
from tests.support.services import wait_for

REPLY = """<article class="h-entry"><span class="p-author h-card">Alice</span>
<a class="u-in-reply-to" href="https://blog.example/post/1">re</a>
<p class="e-content">{text}</p></article>"""


def submit(app: Flask, source: str) -> int:
    return accept(services(app).db, source, TARGET, "webmention", lambda _id: None).mention_id


def run(app: Flask, mention_id: int) -> steps.Outcome | None:
    shared = services(app)
    return steps.process_mention(shared.db, mention_id, shared.pipeline)


def row(app: Flask, mention_id: int) -> Mention:
    with services(app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        return mention


def test_a_linking_reply_is_approved_with_its_content(app: Flask, pages: PageServer) -> None:
    mention_id = submit(app, pages.add("/p/reply", REPLY.format(text="Nice one")))
    outcome = run(app, mention_id)
    assert outcome is not None and outcome.status == "approved"
    stored = row(app, mention_id)
    assert (stored.property, stored.author_name, stored.content_text) == (
        "in-reply-to",
        "Alice",
        "Nice one",
    )
    assert stored.queued_at is None


def test_a_page_without_the_link_is_rejected_with_a_reason(app: Flask, pages: PageServer) -> None:
    mention_id = submit(app, pages.add("/p/nolink", "<p>Hello https://blog.example/post/1</p>"))
    run(app, mention_id)
    stored = row(app, mention_id)
    assert stored.status == "rejected"
    assert stored.error == "the source page does not link to the target"
    assert stored.error_kind == "no_link"


@pytest.mark.parametrize(
    ("status", "verdict"), [(404, "rejected"), (403, "rejected"), (410, "deleted")]
)
def test_client_errors_end_the_mention(
    app: Flask, pages: PageServer, status: int, verdict: str
) -> None:
    mention_id = submit(app, pages.add(f"/p/status-{status}", "gone", status=status))
    run(app, mention_id)
    stored = row(app, mention_id)
    assert stored.status == verdict
    assert str(status) in (stored.error or "")


def test_a_removed_link_deletes_a_previously_approved_mention(
    app: Flask, pages: PageServer
) -> None:
    url = pages.add("/p/edited", REPLY.format(text="First version"))
    mention_id = submit(app, url)
    run(app, mention_id)
    pages.add("/p/edited", "<p>I took the link out.</p>")
    submit(app, url)
    run(app, mention_id)
    assert row(app, mention_id).status == "deleted"


def test_an_updated_source_updates_the_stored_post_in_place(app: Flask, pages: PageServer) -> None:
    url = pages.add("/p/updated", REPLY.format(text="Before"))
    mention_id = submit(app, url)
    run(app, mention_id)
    pages.add("/p/updated", REPLY.format(text="After"))
    assert submit(app, url) == mention_id
    outcome = run(app, mention_id)
    assert outcome is not None and outcome.changed
    assert row(app, mention_id).content_text == "After"


def test_an_unchanged_resend_is_reported_unchanged(app: Flask, pages: PageServer) -> None:
    url = pages.add("/p/same", REPLY.format(text="Same"))
    mention_id = submit(app, url)
    run(app, mention_id)
    submit(app, url)
    outcome = run(app, mention_id)
    assert outcome is not None and not outcome.changed
    assert row(app, mention_id).changed is False


def test_server_errors_retry_with_backoff_then_reject(app: Flask, pages: PageServer) -> None:
    mention_id = submit(app, pages.add("/p/broken", "oops", status=503))
    tries = app.config["VERIFY_MAX_TRIES"]
    countdowns = []
    for _ in range(tries - 1):
        with pytest.raises(steps.RetryLater) as retry:
            run(app, mention_id)
        countdowns.append(retry.value.countdown)
        assert row(app, mention_id).status == "pending"
        assert "503" in (row(app, mention_id).error or "")
    assert countdowns == sorted(countdowns) and countdowns[0] < countdowns[-1]
    outcome = run(app, mention_id)
    assert outcome is not None and outcome.status == "rejected"
    assert f"gave up after {tries} tries" in (row(app, mention_id).error or "")


def test_processing_an_already_verified_mention_again_does_nothing(
    app: Flask, pages: PageServer
) -> None:
    mention_id = submit(app, pages.add("/p/twice", REPLY.format(text="Once")))
    assert run(app, mention_id) is not None
    assert run(app, mention_id) is None  # a duplicate message finds no queued work
    assert run(app, 123456) is None  # an unknown id is ignored


def test_the_sweeper_finds_mentions_whose_message_was_lost(app: Flask) -> None:
    mention_id = submit(app, "https://alice.example/lost")
    shared = services(app)
    assert sweep.pending_ids(shared.db, older_than=3600) == []
    assert sweep.pending_ids(shared.db, older_than=-1) == [mention_id]


def test_shown_mentions_verified_long_ago_are_queued_again(app: Flask, pages: PageServer) -> None:
    from datetime import timedelta

    from pingsvc.models import utcnow

    shown = submit(app, pages.add("/p/old", REPLY.format(text="Old")))
    run(app, shown)
    rejected = submit(app, pages.add("/p/old-nolink", "<p>nothing</p>"))
    run(app, rejected)
    shared = services(app)
    assert sweep.stale_ids(shared.db, older_than_days=30) == []
    with shared.db.session() as session:
        for mention_id in (shown, rejected):
            mention = session.get(Mention, mention_id)
            assert mention is not None
            mention.verified_at = utcnow() - timedelta(days=40)
        session.commit()
    assert sweep.stale_ids(shared.db, older_than_days=30) == [shown]
    assert row(app, shown).queued_at is not None
    assert sweep.stale_ids(shared.db, older_than_days=30) == []  # already queued
    assert run(app, shown) is not None and row(app, shown).status == "approved"


def test_the_beat_schedule_runs_the_sweeper_and_the_reverifier() -> None:
    from worker.schedule import beat_schedule

    schedule = beat_schedule({"SWEEP_INTERVAL": 60, "REVERIFY_AFTER_DAYS": 30})
    assert {entry["task"] for entry in schedule.values()} == {
        "pingsvc.sweep",
        "pingsvc.reverify",
        "pingsvc.retention",
    }
    off = beat_schedule({"SWEEP_INTERVAL": 60, "REVERIFY_AFTER_DAYS": 0})
    assert [entry["task"] for entry in off.values()] == ["pingsvc.sweep", "pingsvc.retention"]


class RoundTrips:
    """Everything the engine sends the database: statements, BEGIN (a connection in
    autocommit sends none), COMMIT, and pool pre-pings (the dialect's ping, observed)."""

    def __init__(self, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "begin", self._begin)
        sa.event.listen(engine, "commit", lambda _conn: self.sent.append("COMMIT"))
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.sent.append("ping")
            return ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.sent.append(statement.split(None, 1)[0].upper())

    def _begin(self, conn: sa.Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.sent.append("BEGIN")

    def take(self) -> list[str]:
        sent, self.sent = self.sent, []
        return sent


# The claim (autocommit), then one transaction: the verdict's inputs, the mention's links
# and related mentions, the link rows (only when they change), the mention's row.
# The verdict's INSERTs: its link rows, then its change-feed line (pingsvc.changelog).
# The third SELECT of a new verdict reads the spam score's history (pingsvc.pipeline.spamcheck,
# one statement; a site with spam reports adds one for the words they taught).
NEW_VERDICT = [
    "UPDATE", "BEGIN", "UPDATE", "SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "INSERT",
    "COMMIT",
]  # fmt: skip
UNCHANGED_VERDICT = ["UPDATE", "BEGIN", "UPDATE", "SELECT", "SELECT", "UPDATE", "COMMIT"]


def test_a_verdict_takes_ten_round_trips_and_an_unchanged_one_seven(
    either_app: Flask, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If this fails because a statement was added, the cost per verified mention grew:
    make sure it pays for itself (bench/store.py measures it) before changing the lists.
    On PostgreSQL too, with no pings."""
    app = either_app
    shared = services(app)
    # A lease long enough that no heartbeat renews it while a try runs (the renewal is a
    # statement every third of the lease, not one per verdict).
    monkeypatch.setattr(shared, "pipeline", dataclasses.replace(shared.pipeline, lease=600.0))
    url = pages.add("/p/counted", REPLY.format(text="Counted"))
    mention_id = submit(app, url)
    trips = RoundTrips(shared.db.engine, monkeypatch)
    outcome = run(app, mention_id)
    assert outcome is not None and outcome.status == "approved"
    assert trips.take() == NEW_VERDICT
    submit(app, url)
    trips.take()
    outcome = run(app, mention_id)
    assert outcome is not None and not outcome.changed
    assert trips.take() == UNCHANGED_VERDICT


def verify_while(
    app: Flask, pages: PageServer, path: str, mention_id: int, send_again: Callable[[], int]
) -> steps.Outcome | None:
    """Verify the mention in a thread, and once its (slow) page at `path` is being read,
    send the pair again (`send_again`, which must answer the same mention); the outcome."""
    outcomes: list[steps.Outcome | None] = []
    worker = threading.Thread(target=lambda: outcomes.append(run(app, mention_id)))
    hits = pages.hits.count(path)
    worker.start()
    assert wait_for(lambda: pages.hits.count(path) > hits, 10)
    assert send_again() == mention_id
    worker.join()
    return outcomes[0]


def test_a_resend_while_the_page_is_read_keeps_the_stored_verdict_queued(
    either_app: Flask, pages: PageServer
) -> None:
    """Send the pair again while its verification reads the (slow) page: the verdict is
    stored, and the row stays queued for the re-send's own verification."""
    app = either_app
    path = f"/p/resent-while-read-{_db(app)}"
    source = pages.add(path, REPLY.format(text="Slow"), delay=1.0)
    mention_id = submit(app, source)
    outcome = verify_while(app, pages, path, mention_id, lambda: submit(app, source))
    assert outcome is not None and outcome.status == "approved"
    stored = row(app, mention_id)
    assert (stored.status, stored.attempts) == ("approved", 0)
    assert stored.queued_at is not None  # the re-send's message verifies it once more
    pages.add(path, REPLY.format(text="Slow"))
    outcome = run(app, mention_id)
    assert outcome is not None and not outcome.changed
    assert row(app, mention_id).queued_at is None


@pytest.mark.parametrize("links", [True, False], ids=["stored", "ended"])
def test_a_pingback_sent_while_the_page_is_read_is_the_verdict_s_protocol(
    app: Flask, pages: PageServer, links: bool
) -> None:
    """A webmention sent again as a pingback during its verification: the verdict reports
    the row's protocol (the waiting ping is told), not the one the try claimed."""
    path = f"/p/pinged-while-read-{links}"
    page = REPLY.format(text="Slow") if links else "<p>No link here.</p>"
    source = pages.add(path, page, delay=1.0)
    mention_id = submit(app, source)

    def ping() -> int:
        return accept(services(app).db, source, TARGET, "pingback", lambda _id: None).mention_id

    outcome = verify_while(app, pages, path, mention_id, ping)
    assert outcome is not None
    assert (outcome.status, outcome.protocol) == ("approved" if links else "rejected", "pingback")


def test_an_owners_decision_made_while_a_verdict_is_stored_stands(
    either_app: Flask, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner rejects a shown mention while its re-verification is storing its verdict:
    the decision stands (the store's write must not be built from a read made before it)."""
    from pingsvc import moderation
    from pingsvc.models import Account
    from pingsvc.pipeline import relations

    app = either_app
    path = f"/p/decided-{_db(app)}"

    source = pages.add(path, REPLY.format(text="Decided"))
    mention_id = submit(app, source)
    assert run(app, mention_id) is not None
    with services(app).db.session() as session:
        owner = Account(email=f"owner-{mention_id}@example.org", password_hash="x")
        session.add(owner)
        session.commit()
        owner_id = owner.id
    submit(app, source)

    def reject() -> None:
        with services(app).db.session() as session:
            actor = session.get(Account, owner_id)
            mention = session.get(Mention, mention_id)
            assert actor is not None and mention is not None
            moderation.decide(session, actor, mention, "reject")
            session.commit()

    owner_thread = threading.Thread(target=reject)
    real_relate = relations.relate

    def relate_while_the_owner_decides(*args: Any, **kwargs: Any) -> Any:
        owner_thread.start()
        owner_thread.join(0.5)  # it waits for this store's lock (or, unlocked, commits now)
        return real_relate(*args, **kwargs)

    monkeypatch.setattr(relations, "relate", relate_while_the_owner_decides)
    run(app, mention_id)
    owner_thread.join(30)
    assert row(app, mention_id).status == "rejected"


def _db(app: Flask) -> str:
    """The database's dialect name: the session-wide page server needs a path per run."""
    return services(app).db.dialect


def test_the_page_checks_run_in_the_sandbox_never_in_the_worker(
    app: Flask, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks (binary, undecodable, the nesting scan) cost up to a second of CPU on a
    large page: they must run under the sandbox's budget, not in the worker's process. Any
    of them called here (a fetch with check=True, check_page, hostile's scans) fails this,
    for the source page and for its author's page."""
    from pingsvc.fetch import client, hostile

    def in_the_parent(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a page check ran in the worker's process")

    author = pages.add(
        "/p/checks-author", "<div class='h-card'><a class='u-url p-name' href=''>Ann</a></div>"
    )
    source = pages.add(
        "/p/checks",
        f"<article class='h-entry'><a class='u-author' href='{author}'></a>"
        f"<a class='u-in-reply-to' href='{TARGET}'>re</a><p class='e-content'>Hi</p></article>",
    )
    for module, name in [(client, "check_page"), (steps, "check_page"), (hostile, "check_page"),
                         (hostile, "check_text"), (hostile, "check_structure")]:  # fmt: skip
        monkeypatch.setattr(module, name, in_the_parent)
    mention_id = submit(app, source)
    outcome = run(app, mention_id)
    assert outcome is not None and outcome.status == "approved", outcome
    assert "/p/checks-author" in pages.hits


def test_a_shown_mention_whose_page_went_over_budget_is_kept(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On main a re-verification over the CPU budget deleted a shown mention (a popular post
    whose comments made it costlier to read); now it keeps its verdict, the reason noted.
    A new mention over budget is still rejected."""
    from tests.conftest import make_app

    app = make_app(
        {**settings, "PINGSVC_PARSE_CPU_LIMIT": "0.25", "PINGSVC_PARSE_CPU_PER_MIB": "0"},
        monkeypatch,
    )
    costly = REPLY.format(text="<rb>" * 250_000)  # 1 MB of nesting ruby: seconds of CPU
    url = pages.add("/p/grown", REPLY.format(text="Short"))
    mention_id = submit(app, url)
    assert (outcome := run(app, mention_id)) is not None and outcome.status == "approved"
    pages.add("/p/grown", costly)
    submit(app, url)
    outcome = run(app, mention_id)
    assert outcome is not None and (outcome.status, outcome.changed) == ("approved", False)
    stored = row(app, mention_id)
    assert (stored.status, stored.content_text, stored.error_kind) == (
        "approved",
        "Short",
        "hostile",
    )
    assert "s of CPU to parse" in (stored.error or "")
    assert "keeps its last verdict" in (stored.error or "")
    fresh = submit(app, pages.add("/p/costly-new", costly))
    assert (outcome := run(app, fresh)) is not None and outcome.status == "rejected"


def test_a_threads_fetch_session_for_a_replaced_policy_is_closed(
    app: Flask, pages: PageServer
) -> None:
    """A worker thread keeps one keep-alive session; when the policy changes, the old one's
    pooled connections are closed, not left open until the garbage collector finds them."""
    policy = services(app).pipeline.policy
    other = dataclasses.replace(policy, user_agent=f"{policy.user_agent} (other)")
    seen: list[Any] = []

    def in_a_new_thread() -> None:
        first = steps._session(policy)
        fetch(pages.add("/p/session-kept", "<p>kept</p>"), policy, first, check=False)
        assert steps._session(policy) is first and len(first._pools.pools) == 1
        second = steps._session(other)
        seen.extend([first, second])

    thread = threading.Thread(target=in_a_new_thread)
    thread.start()
    thread.join()
    first, second = seen
    assert second is not first
    assert len(first._pools.pools) == 0
