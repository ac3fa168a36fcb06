"""The notification outbox: a verdict or an owner's decision committed while the broker is
unreachable still reaches the site's webhook (a real receiver on 127.0.0.1), sent by the
sweeper, on SQLite and on PostgreSQL; and deliveries are at least once, under one id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Site, Webhook, WebhookDelivery
from pingsvc.notify import outbox, webhooks
from pingsvc.receive.accept import accept
from tests.conftest import TARGET, make_app
from tests.support.dashboard import Browser, HookReceiver, add_account, mention_row
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer
from tests.support.services import free_port, start_worker, wait_for

REPLY = f"""<article class="h-entry"><a class="p-author h-card" href="/">Otto Outbox</a>
<p class="e-content">Sure. <a class="u-in-reply-to" href="{TARGET}">your post</a></p></article>"""


@pytest.fixture
def live(either_settings: dict[str, str], receiver: HookReceiver) -> dict[str, str]:
    """Settings with the receiver allowed: SQLite with the embedded broker, or PostgreSQL
    with Redis."""
    allowed = f"{either_settings['PINGSVC_FETCH_ALLOW']},{receiver.hostport}"
    return {**either_settings, "PINGSVC_FETCH_ALLOW": allowed}


@pytest.fixture
def outage(live: dict[str, str]) -> dict[str, str]:
    """The same install while its broker is unreachable: Redis on a closed loopback port."""
    return {**live, "PINGSVC_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


@pytest.fixture
def down_app(outage: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(outage, monkeypatch)
    yield app
    services(app).db.dispose()


def _hook(app: Flask, url: str) -> int:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        hook = Webhook(site_id=site.id, url=url, secret="outbox-secret")
        session.add(hook)
        session.commit()
        return hook.id


def _deliveries(app: Flask) -> list[WebhookDelivery]:
    with services(app).db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _verify_while_the_broker_is_down(app: Flask, source: str) -> int:
    """Accept a mention and run the worker's verify task in this process: the verdict is
    committed, then queueing its notification fails (the broker is unreachable)."""
    from worker import tasks

    mention_id = accept(services(app).db, source, TARGET, "webmention", lambda _id: None).mention_id
    assert tasks.verify(mention_id) == "approved"
    return mention_id


def test_a_verdict_whose_notification_could_not_be_queued_is_sent_by_the_sweeper(
    down_app: Flask, pages: PageServer, receiver: HookReceiver
) -> None:
    _hook(down_app, receiver.url())
    mention_id = _verify_while_the_broker_is_down(down_app, pages.add("/outbox/1", REPLY))
    assert mention_row(down_app, mention_id).status == "approved"
    assert _deliveries(down_app) == [] and receiver.calls == []
    db = services(down_app).db
    assert outbox.due_ids(db, older_than=3600) == []  # not yet: its message may be in flight
    assert outbox.due_ids(db, older_than=-1) == [mention_id]  # what the sweeper re-sends
    (delivery_id,) = outbox.send(db, mention_id, email_on=False, queue_email=lambda _id: None)
    settings = webhooks.WebhookSettings.from_config(down_app.config)
    assert webhooks.deliver(db, delivery_id, settings) == "delivered"
    (call,) = receiver.calls
    assert call.headers[webhooks.DELIVERY_HEADER] == str(delivery_id)
    assert receiver.json()["event"] == "new" and receiver.json()["source"].endswith("/outbox/1")
    # Sent once: the sweeper's copy of a message that did arrive finds no mark.
    assert outbox.send(db, mention_id, email_on=False, queue_email=lambda _id: None) == []
    assert outbox.due_ids(db, older_than=-1) == []


def test_an_owners_decision_while_the_broker_is_down_is_sent_by_the_sweeper(
    down_app: Flask, receiver: HookReceiver
) -> None:
    owner = add_account(down_app, "olga@example.com")
    with services(down_app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.owner_id = owner
        session.commit()
    _hook(down_app, receiver.url())
    held = add_mention(down_app, TARGET, status="held")
    olga = Browser(down_app.test_client(), "olga@example.com")
    answer = olga.post(f"/dashboard/mentions/{held}/moderate", {"action": "approve"})
    assert answer.status_code == 303
    db = services(down_app).db
    assert outbox.due_ids(db, older_than=-1) == [held]
    (delivery_id,) = outbox.send(db, held, email_on=False, queue_email=lambda _id: None)
    settings = webhooks.WebhookSettings.from_config(down_app.config)
    assert webhooks.deliver(db, delivery_id, settings) == "delivered"
    assert receiver.json()["event"] == "new" and receiver.json()["status"] == "approved"


@pytest.mark.integration
def test_a_real_worker_sweeps_a_notification_lost_to_a_broker_outage(
    down_app: Flask,
    live: dict[str, str],
    pages: PageServer,
    receiver: HookReceiver,
    tmp_path: Path,
) -> None:
    """The verdict commits while Redis is unreachable; a worker with its sweeper, on a
    broker that answers, then calls the webhook: nothing in the test sends the delivery."""
    _hook(down_app, receiver.url())
    mention_id = _verify_while_the_broker_is_down(down_app, pages.add("/outbox/real", REPLY))
    assert _deliveries(down_app) == []
    worker = start_worker(live, tmp_path / "worker.log", "--beat")
    try:
        assert wait_for(lambda: len(receiver.calls) >= 1, 60), worker.output()
        assert wait_for(lambda: _deliveries(down_app)[0].status == "delivered", 30)
    finally:
        assert worker.stop() == 0
    (delivery,) = _deliveries(down_app)
    assert delivery.mention_id == mention_id and delivery.event == "new"
    assert {c.headers[webhooks.DELIVERY_HEADER] for c in receiver.calls} == {str(delivery.id)}
    assert receiver.json()["post"]["author"]["name"] == "Otto Outbox"


def test_a_delivery_sent_twice_carries_the_same_delivery_id(
    down_app: Flask, receiver: HookReceiver
) -> None:
    """At least once: the receiver took the first call but answered after pingsvc stopped
    waiting, so the same delivery is sent again, with the same id and body to de-duplicate by."""
    _hook(down_app, receiver.url())
    mention_id = add_mention(down_app, TARGET)
    with services(down_app).db.session() as session:
        (delivery_id,) = webhooks.plan(session, mention_id)
        session.commit()
    receiver.delays = [3.0]
    down_app.config["WEBHOOK_TIMEOUT"] = 1
    settings = webhooks.WebhookSettings.from_config(down_app.config)
    db = services(down_app).db
    with pytest.raises(webhooks.RetryLater):
        webhooks.deliver(db, delivery_id, settings)
    assert webhooks.deliver(db, delivery_id, settings) == "delivered"
    first, second = receiver.calls
    assert first.headers[webhooks.DELIVERY_HEADER] == second.headers[webhooks.DELIVERY_HEADER]
    assert first.headers[webhooks.DELIVERY_HEADER] == str(delivery_id)
    assert first.body == second.body


def test_a_shown_copy_replaced_by_its_original_tells_the_webhook_it_is_gone(
    down_app: Flask, pages: PageServer, receiver: HookReceiver
) -> None:
    """The original's verdict rejects the copy in the same transaction, and leaves the copy's
    own outbox mark, old enough for the sweeper's next pass."""
    from tests.pipeline.test_relations import original_and_copy, verify

    _hook(down_app, receiver.url())
    db = services(down_app).db
    original, copy = original_and_copy(pages, "outbox-dup")
    first = verify(down_app, copy)
    (told,) = outbox.send(db, first, email_on=False, queue_email=lambda _id: None)
    kept = verify(down_app, original)
    assert mention_row(down_app, first).duplicate_of_id == kept
    assert set(outbox.due_ids(db, older_than=60)) == {first}  # the original's is fresh
    (gone,) = outbox.send(db, first, email_on=False, queue_email=lambda _id: None)
    events = {d.id: d.event for d in _deliveries(down_app)}
    assert (events[told], events[gone]) == ("new", "deleted")
