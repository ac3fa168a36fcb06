"""The change feed: a cache that starts from since=0 and applies every change, through real
verifications, the owner's decisions, blocks and 410s, ends with exactly what the
domain-wide API lists; on SQLite and PostgreSQL. Paging, and the errors a client can make."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import changelog, services
from pingsvc.models import BlockRule, Site
from pingsvc.pipeline.steps import process_mention
from pingsvc.tokens import rotate
from tests.support.dashboard import Browser, add_account, add_site
from tests.support.mentions import add, mention_row, site_id
from tests.support.pageserver import PageServer

POST = "https://blog.example/post/1"
OTHER_POST = "https://blog.example/post/2"
CHANGES = "/api/changes.json"


@dataclass
class Owner:
    """blog.example, owned by alice, with its API token and a logged-in dashboard."""

    app: Flask
    client: FlaskClient
    browser: Browser
    site_id: int
    token: str
    pages: PageServer
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def page(self, name: str, target: str, text: str, reply_to: str | None = None) -> str:
        """A reply to `target` (and to `reply_to`, another reply) on the page server."""
        also = f'<a class="u-in-reply-to" href="{reply_to}">re</a>' if reply_to else ""
        return self.pages.add(
            f"/changes-{self.run}/{name}",
            f'<article class="h-entry"><a class="p-author h-card" href="/">{name}</a>'
            f'<a class="u-in-reply-to" href="{target}">re</a>{also}'
            f'<p class="e-content">{text}</p></article>',
        )

    def receive(self, source: str, target: str) -> int:
        """A webmention sent (or sent again) and verified here; the mention's id."""
        answer = self.client.post("/webmention", data={"source": source, "target": target})
        assert answer.status_code in (201, 202), answer.get_json()
        mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
        process_mention(services(self.app).db, mention_id, services(self.app).pipeline)
        return mention_id

    def moderate(self, mention_id: int, action: str) -> None:
        answer = self.browser.post(f"/dashboard/mentions/{mention_id}/moderate", {"action": action})
        assert answer.status_code == 303, answer.get_data(as_text=True)

    def changes(self, since: Any = 0, **params: Any) -> dict[str, Any]:
        answer = self.client.get(
            CHANGES, query_string={"domain": "blog.example", "token": self.token,
                                   "since": since, **params}
        )  # fmt: skip
        assert answer.status_code == 200, answer.get_data(as_text=True)
        document: dict[str, Any] = answer.get_json()
        return document

    def listed(self) -> dict[int, dict[str, Any]]:
        """What /api/mentions.jf2?domain=… lists to this token, by wm-id."""
        answer = self.client.get(
            "/api/mentions.jf2",
            query_string={"domain": "blog.example", "token": self.token, "per-page": 1000},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return {child["wm-id"]: child for child in answer.get_json()["children"]}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def owner(request: pytest.FixtureRequest, pages: PageServer) -> Owner:
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "production_app")
    alice = add_account(app, "alice@example.com")
    site_id = add_site(app, "blog.example", alice)
    with services(app).db.session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        token = rotate(site)
        session.commit()
    client = app.test_client()
    return Owner(app, client, Browser(client, "alice@example.com"), site_id, token, pages)


class Cache:
    """A static site's cache of its mentions, kept by following the change feed."""

    def __init__(self) -> None:
        self.entries: dict[int, dict[str, Any]] = {}
        self.since: Any = 0
        self.cursors: list[Any] = []

    def follow(self, owner: Owner, per_page: int = 2) -> None:
        while True:
            document = owner.changes(self.since, **{"per-page": per_page})
            for change in document["changes"]:
                self.cursors.append(change["cursor"])
                if change["op"] == "upsert":
                    self.entries[change["wm-id"]] = change["entry"]
                else:
                    assert change["op"] == "delete" and "entry" not in change
                    self.entries.pop(change["wm-id"], None)
                self.since = change["cursor"]
            if document["next"] is None:
                return
            assert document["next"] == self.since


def test_a_cache_that_replays_every_change_holds_what_the_api_lists(owner: Owner) -> None:
    following = Cache()  # polls after every step, from where it left off

    def step() -> None:
        following.follow(owner)
        assert following.entries == owner.listed()

    first = owner.receive(owner.page("ada", POST, "First!"), POST)
    edited_source = owner.page("bo", POST, "Nice post.")
    edited = owner.receive(edited_source, POST)
    held = owner.receive(owner.page("cy", OTHER_POST, "Hmm."), OTHER_POST)
    step()
    # A reply to a reply: threaded under `first`, whose deletion must drop its wm-parent-id.
    first_source = owner.listed()[first]["wm-source"]
    child = owner.receive(owner.page("dee", POST, "Agreed.", reply_to=first_source), POST)
    assert owner.listed()[child]["wm-parent-id"] == first
    step()
    # An edit, seen on re-verification.
    owner.page("bo", POST, "Nice post, edited.")
    assert owner.receive(edited_source, POST) == edited
    assert owner.listed()[edited]["content"]["text"] == "Nice post, edited."
    step()
    owner.moderate(held, "hold")
    assert owner.listed()[held]["wm-held"] is True
    step()
    owner.moderate(held, "approve")
    step()
    owner.moderate(first, "delete")  # the owner's delete
    assert first not in owner.listed() and "wm-parent-id" not in owner.listed()[child]
    step()
    blocked_source = owner.page("eve", POST, "Buy now")
    blocked = owner.receive(blocked_source, POST)
    step()
    answer = owner.browser.post(
        f"/dashboard/sites/{owner.site_id}/blocks", {"kind": "url", "value": blocked_source}
    )
    assert answer.status_code == 303 and blocked not in owner.listed()
    step()
    with services(owner.app).db.session() as session:
        rule_id = session.scalar(sa.select(BlockRule.id).where(BlockRule.site_id == owner.site_id))
    assert owner.browser.post(f"/dashboard/blocks/{rule_id}/delete").status_code == 303
    step()  # removing the rule brings nothing back, and the feed says nothing new
    gone_source = owner.page("fay", OTHER_POST, "Soon gone")
    gone = owner.receive(gone_source, OTHER_POST)
    step()
    owner.pages.add(gone_source.removeprefix(owner.pages.base), "gone", status=410)
    owner.receive(gone_source, OTHER_POST)  # the re-sent webmention finds a 410
    assert gone not in owner.listed()
    step()

    replayed = Cache()  # a new cache, from the beginning, in small pages
    replayed.follow(owner, per_page=3)
    assert replayed.entries == owner.listed() == following.entries
    assert set(replayed.entries) == {edited, held, child}
    # Cursors only grow, and the ones a late reader sees are a subset of what was written.
    assert replayed.cursors == sorted(replayed.cursors) and len(set(replayed.cursors)) == len(
        replayed.cursors
    )
    deletes = [c for c in owner.changes(0, **{"per-page": 1000})["changes"] if c["op"] == "delete"]
    assert {c["wm-id"] for c in deletes} == {first, blocked, gone}
    assert {c["wm-target"] for c in deletes} == {POST, OTHER_POST}


def test_pages_end_with_a_null_next_and_a_page_holds_each_mention_once(owner: Owner) -> None:
    ids = [owner.receive(owner.page(f"p{i}", POST, f"Reply {i}"), POST) for i in range(3)]
    owner.moderate(ids[0], "hold")  # a second line for the first mention
    whole = owner.changes(0)
    assert [c["wm-id"] for c in whole["changes"]] == [ids[1], ids[2], ids[0]]
    assert whole["next"] is None
    first = owner.changes(0, **{"per-page": 2})
    assert [c["wm-id"] for c in first["changes"]] == ids[:2]
    assert first["next"] == first["changes"][-1]["cursor"]
    rest = owner.changes(first["next"], **{"per-page": 2})
    assert [c["wm-id"] for c in rest["changes"]] == [ids[2], ids[0]]
    assert rest["next"] is None
    assert owner.changes(rest["changes"][-1]["cursor"]) == {"changes": [], "next": None}
    # since omitted starts at the beginning, as since=0 does
    answer = owner.client.get(CHANGES, headers={"Authorization": f"Bearer {owner.token}"})
    assert answer.get_json() == whole
    assert answer.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("query", "status", "code", "says"),
    [
        ({"token": "not-a-token"}, 401, "invalid_token", "not valid"),
        ({"token": None}, 401, "missing_token", "site's token"),
        ({"since": "yesterday"}, 400, "invalid_cursor", "0 to start from the beginning"),
        ({"since": "-4"}, 400, "invalid_cursor", "not a cursor"),
        ({"since": "999999999"}, 400, "invalid_cursor", "Start again from since=0"),
        ({"per-page": "0"}, 400, "invalid_parameter", "per-page"),
        ({"domain": "other.example"}, 401, "token_mismatch", "belongs to blog.example"),
    ],
)
def test_a_bad_request_says_what_to_fix(
    app: Flask, client: FlaskClient, query: dict[str, str | None], status: int, code: str, says: str
) -> None:
    with services(app).db.session() as session:
        site = session.scalar(sa.select(Site).where(Site.host == "blog.example"))
        assert site is not None
        token = rotate(site)
        session.commit()
    params = {"domain": "blog.example", "token": token, **query}
    answer = client.get(CHANGES, query_string={k: v for k, v in params.items() if v is not None})
    body = answer.get_json()
    assert answer.status_code == status, body
    assert body["error"] == code and says in body["error_description"], body
    assert "Traceback" not in answer.get_data(as_text=True)


def _feed_lines(db: Any) -> list[tuple[int, int]]:
    """Every line of the feed, (id, mention id), in id order, as a new reader sees them."""
    with db.engine.connect() as conn:
        query = sa.text("SELECT id, mention_id FROM mention_change ORDER BY id")
        return [(row[0], row[1]) for row in conn.execute(query)]


def _waiting_for_feed_lock(db: Any, site: int, mode: str) -> int:
    """How many backends wait for the site's feed lock in `mode` (PostgreSQL's pg_locks)."""
    with db.engine.connect() as watcher:
        return int(
            watcher.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND classid = :cls AND objid = :site AND mode = :mode"
                ),
                {"cls": changelog.LOCK_CLASS, "site": site, "mode": mode},
            ).scalar_one()
        )


@pytest.mark.integration
def test_writers_of_one_site_never_wait_for_each_other(production_app: Flask) -> None:
    """Two verdicts of one site on PostgreSQL: the second writes its line while the first is
    still open (lock_timeout turns a wait into an error instead of a hang)."""
    db = services(production_app).db
    site = site_id(production_app)
    first_id, second_id = add(production_app, mention_row(site), mention_row(site))
    with db.engine.connect() as first, db.engine.connect() as second:
        first_tx = first.begin()
        changelog.record(first, [first_id])
        with second.begin():
            second.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            changelog.record(second, [second_id])
        first_tx.commit()
    assert [m for _, m in _feed_lines(db)] == [first_id, second_id]


@pytest.mark.integration
def test_a_reader_waits_for_a_line_committed_late_and_never_skips_it(
    production_app: Flask,
) -> None:
    """A draws its line's id, B draws a higher one and commits first: a reader that came in
    between must not answer B's line (its cursor would pass A's for good); it waits for A's
    commit and answers both, in id order."""
    db = services(production_app).db
    site = site_id(production_app)
    with db.session() as session:
        row = session.get(Site, site)
        assert row is not None
        token = rotate(row)
        session.commit()
    first_id, second_id = add(production_app, mention_row(site), mention_row(site))
    first = db.engine.connect()
    first_tx = first.begin()
    changelog.record(first, [first_id])  # A: its line drawn, not yet visible
    with db.engine.begin() as conn:
        changelog.record(conn, [second_id])  # B: drawn after A's, committed before it
    assert [m for _, m in _feed_lines(db)] == [second_id]  # what a reader would have skipped

    answers: list[dict[str, Any]] = []

    def reader() -> None:
        client = production_app.test_client()
        answer = client.get(CHANGES, query_string={"token": token, "domain": "blog.example"})
        answers.append(answer.get_json())

    thread = threading.Thread(target=reader)
    thread.start()
    # Wait (no bound on how long: not a timed assertion) until the reader waits for A.
    while not _waiting_for_feed_lock(db, site, "ExclusiveLock"):
        thread.join(timeout=0.05)
        assert thread.is_alive(), f"the reader answered without waiting for A: {answers}"
    first_tx.commit()
    first.close()
    thread.join()
    assert [c["wm-id"] for c in answers[0]["changes"]] == [first_id, second_id], answers
    cursors = [c["cursor"] for c in answers[0]["changes"]]
    assert cursors == sorted(cursors)


def test_imports_reach_the_feed_threads_and_private_mentions_included(owner: Owner) -> None:
    """webmention.io pages (a private mention among them), a later re-export that updates
    some, and a WordPress export with threaded comments in every state, in small batches so
    replies meet their parents in later transactions."""
    from tests.portability.helpers import import_webmention_io, import_wordpress

    import_webmention_io(owner.app, "webmention-io-feed.jf2", batch_size=2)
    cache = Cache()
    cache.follow(owner)
    assert cache.entries == owner.listed()
    import_webmention_io(owner.app, "webmention-io-feed-page2.jf2", "webmention-io-feed-later.jf2")
    import_wordpress(owner.app, batch_size=2)
    cache.follow(owner)
    listed = owner.listed()
    assert cache.entries == listed
    assert any(e.get("wm-private") for e in listed.values())
    assert any("wm-parent-id" in e for e in listed.values())
    replayed = Cache()
    replayed.follow(owner, per_page=5)
    assert replayed.entries == listed
