"""The dashboard's test world: two owners with a site each, an admin and a site nobody
owns, logged-in clients for them, and mentions received and verified for real."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import services
from pingsvc.models import BlockRule, ImportJob, Webhook, WebhookDelivery, utcnow
from pingsvc.pipeline.steps import process_mention
from pingsvc.send import store
from tests.support.dashboard import Browser, add_account, add_site
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer

ALICE_POST = "https://blog.example/post/1"
BOB_POST = "https://bob.example/notes/7"


@dataclass
class World:
    """Two owners with a site each, an admin, and a site nobody owns."""

    app: Flask
    alice: int
    bob: int
    admin: int
    alice_site: int
    bob_site: int
    orphan_site: int
    alice_mention: int
    bob_mention: int
    bob_rule: int
    bob_hook: int
    bob_delivery: int
    bob_send: int
    bob_import: int


@pytest.fixture
def world(app: Flask) -> World:
    alice = add_account(app, "alice@example.com")
    bob = add_account(app, "bob@example.com")
    admin = add_account(app, "admin@example.com", admin=True)
    alice_site = add_site(app, "blog.example", alice)
    bob_site = add_site(app, "bob.example", bob)
    orphan_site = add_site(app, "orphan.example", None)
    alice_mention = add_mention(app, ALICE_POST, author_name="Ada Alice-fan")
    bob_mention = add_mention(
        app, BOB_POST, author_name="Bert Bob-fan", content_text="secret bob words", status="held"
    )
    with services(app).db.session() as session:
        rule = BlockRule(site_id=bob_site, kind="domain", value="spam.example")
        hook = Webhook(site_id=bob_site, url="https://hooks.bob.example/wm", secret="bob-secret")
        session.add_all([rule, hook])
        session.flush()
        delivery = WebhookDelivery(
            webhook_id=hook.id, mention_id=bob_mention, event="new", payload={}, status="failed"
        )
        session.add(delivery)
        send = store.upsert(session, bob_site, BOB_POST, "https://friend.example/", linked=True)
        upload = ImportJob(
            account_id=bob, site_id=bob_site, filename="bob-secret.json", path="/nonexistent",
            format="webmention-io", status="done", summary="imported 1, updated 0, skipped 0",
            created_at=utcnow(),
        )  # fmt: skip
        session.add(upload)
        session.commit()
        ids = rule.id, hook.id, delivery.id, send, upload.id
    return World(app, alice, bob, admin, alice_site, bob_site, orphan_site, alice_mention,
                 bob_mention, *ids)  # fmt: skip


@pytest.fixture
def alice(world: World, client: FlaskClient) -> Browser:
    return Browser(client, "alice@example.com")


@pytest.fixture
def admin(world: World, client: FlaskClient) -> Browser:
    return Browser(client, "admin@example.com")


def reply_page(pages: PageServer, path: str, target: str, author: str = "Riley") -> str:
    """A reply to `target` on the page server, as a sender's blog would publish it."""
    return pages.add(
        path,
        f'<article class="h-entry"><a class="p-author h-card" href="/">{author}</a>'
        f'<a class="u-in-reply-to" href="{target}">re</a><p class="e-content">Hi!</p></article>',
    )


def receive_and_verify(app: Flask, client: FlaskClient, source: str, target: str) -> int:
    """Send a webmention and run its verification here; the mention's id."""
    answer = client.post("/webmention", data={"source": source, "target": target})
    assert answer.status_code == 201, answer.get_json()
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    process_mention(services(app).db, mention_id, services(app).pipeline)
    return mention_id
