"""Fixtures of the export and restore tests: a database holding a row of every kind (on
SQLite and on PostgreSQL), and empty databases to restore into."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from pingsvc import services
from pingsvc.db import Database
from pingsvc.migrate import upgrade
from pingsvc.models import (
    APPROVED,
    DELETED,
    HELD,
    PENDING,
    REJECTED,
    Account,
    BlockRule,
    Feed,
    FeedEntry,
    Mention,
    MentionLink,
    ModerationAction,
    Outgoing,
    Site,
    SpamToken,
    Webhook,
    WebhookDelivery,
)
from pingsvc.sanitize import clean_html
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.mentions import KINDS, mention_row

T0 = datetime(2025, 6, 1, 9, 30, 0, 123456)
WEBHOOK_SECRET = "webhook-secret-never-exported"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def source_app(backend: str, request: pytest.FixtureRequest) -> Flask:
    """The app on SQLite (`app`) or on PostgreSQL and Redis (`production_app`)."""
    name = "app" if backend == "sqlite" else "production_app"
    app: Flask = request.getfixturevalue(name)
    return app


@pytest.fixture
def empty_db(backend: str, tmp_path: Path) -> Iterator[Callable[[], Database]]:
    """Makes migrated databases with nothing in them (not even the fixtures' site), of the
    same kind as source_app's."""
    made: list[tuple[Database, str | None]] = []
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def make() -> Database:
        if backend == "sqlite":
            url, name = f"sqlite:///{tmp_path / f'restore-{len(made)}.sqlite3'}", None
        else:
            name = f"pingsvc_test_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
            url = url.render_as_string(hide_password=False)
        upgrade(url)
        db = Database(url)
        made.append((db, name))
        return db

    yield make
    for db, name in made:
        db.dispose()
        if name:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def populate(app: Flask) -> dict[str, int]:
    """A row of every kind the export holds, as the service stores them: two sites, an
    owner, mentions in every state with a thread whose reply is stored before its parent,
    a duplicate, links, block rules (one global), the log, a webhook and its deliveries,
    sends, a watched feed. Returns the ids tests look at."""
    db = services(app).db
    with db.session() as session:
        owner = Account(email="owner@example.org", password_hash="scrypt:secret-hash")
        session.add(owner)
        blog = session.scalars(sa.select(Site).where(Site.host == "blog.example")).one()
        blog.owner, blog.policy, blog.token_hash = owner, "hold_new", "ab" * 32
        other = Site(host="other.example", created_at=T0)
        session.add(other)
        session.flush()
        # The reply first, its parent later: a reference to a mention listed after it.
        reply = mention_row(blog.id, status=APPROVED, source="https://carol.example/re")
        session.add(reply)
        session.flush()
        parent = mention_row(
            blog.id,
            kind="mention",
            status=APPROVED,
            source="https://dave.example/post",
            # As the pipeline stores it: sanitized (a restore cleans it again).
            content_html=clean_html(KINDS["mention"]["content_html"], "https://dave.example/"),
            extra={
                "syndication": ["https://x.example/1"],
                "canonical": None,
                "z": {"b": 1, "a": 2},
            },
        )
        held = mention_row(blog.id, kind="like", status=HELD)
        rejected = mention_row(
            blog.id, status=REJECTED, error="no link to the target", error_kind="no_link"
        )
        deleted = mention_row(blog.id, kind="repost", status=DELETED)
        pending = Mention(
            site_id=blog.id,
            source="https://eve.example/p",
            source_host="eve.example",
            target="https://blog.example/post/2",
            target_key="blog.example/post/2",
            protocol="pingback",
            status=PENDING,
            queued_at=T0,
            received_at=T0,
            updated_at=T0,
        )
        elsewhere = mention_row(other.id, target="https://other.example/a", kind="bookmark")
        imported = mention_row(
            blog.id,
            source="https://webmention.io-user.example/likes/9",
            kind="like",
            origin_format="webmention-io",
            origin_id="1234567",
            private=True,
        )
        session.add_all([parent, held, rejected, deleted, pending, elsewhere, imported])
        session.flush()
        reply.parent_id = parent.id
        reply.updated_at = T0
        copy = mention_row(blog.id, status=REJECTED, duplicate_of_id=parent.id)
        session.add(copy)
        session.flush()
        session.add_all(
            [
                MentionLink(mention_id=parent.id, kind="self", key="1" * 40),
                MentionLink(mention_id=reply.id, kind="reply", key="1" * 40),
                MentionLink(mention_id=elsewhere.id, kind="self", key="2" * 40),
                BlockRule(site_id=blog.id, kind="domain", value="spam.example", created_at=T0),
                BlockRule(site_id=None, kind="url", value="https://bad.example/x"),
                BlockRule(site_id=other.id, kind="domain", value="spam.example"),
                SpamToken(site_id=blog.id, token="casino", reports=2),
                ModerationAction(
                    account_id=owner.id,
                    actor=owner.email,
                    site_id=blog.id,
                    mention_id=held.id,
                    action="hold",
                    detail="looks odd",
                    created_at=T0,
                ),
                ModerationAction(actor="admin", site_id=blog.id, action="policy"),
                ModerationAction(actor="admin", site_id=None, action="block"),
            ]
        )
        hook = Webhook(site_id=blog.id, url="https://hooks.example/in", secret=WEBHOOK_SECRET)
        session.add(hook)
        feed = Feed(site_id=blog.id, url="https://blog.example/feed.xml", etag='"v1"', primed_at=T0)
        session.add(feed)
        session.flush()
        session.add_all(
            [
                WebhookDelivery(
                    webhook_id=hook.id,
                    mention_id=parent.id,
                    event="new",
                    payload={"source": parent.source, "post": {"name": "x", "author": {}}},
                    status="delivered",
                    attempts=1,
                    response_status=200,
                    delivered_at=T0 + timedelta(seconds=1),
                ),
                FeedEntry(
                    feed_id=feed.id,
                    url="https://blog.example/post/1",
                    fingerprint="f" * 64,
                    sent_fingerprint="f" * 64,
                    sent_at=T0,
                ),
                Outgoing(
                    site_id=blog.id,
                    public_id="pub" + "0" * 29,
                    source="https://blog.example/post/1",
                    target="https://alice.example/notes/2",
                    target_host="alice.example",
                    status="accepted",
                    protocol="webmention",
                    endpoint="https://alice.example/webmention",
                    http_code=202,
                    linked=False,
                    sent_at=T0,
                ),
            ]
        )
        session.commit()
        return {
            "blog": blog.id,
            "other": other.id,
            "reply": reply.id,
            "parent": parent.id,
            "copy": copy.id,
            "hook": hook.id,
            "imported": imported.id,
        }
