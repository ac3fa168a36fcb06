"""Webhooks: bodies shaped like webmention.io's and signed with HMAC-SHA256, sent to a real
HTTP server on 127.0.0.1 through fetch's address guard, retried with backoff, logged and
re-sendable from the dashboard; and the whole path, e-mail included, with a real worker
(tests/notify/test_email.py has the e-mail's own tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.api import jf2
from pingsvc.models import Mention, Site, Webhook, WebhookDelivery
from pingsvc.notify import webhooks
from pingsvc.pipeline.steps import RetryLater
from pingsvc.tasking import WEBHOOK_TASK
from tests.conftest import make_app
from tests.notify.conftest import Inbox, opt_in
from tests.support.broker import queued_tasks
from tests.support.dashboard import (
    Browser,
    HookReceiver,
    Trap,
    add_account,
    add_site,
    mention_row,
)
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

POST = "https://blog.example/post/1"


def _hook(app: Flask, url: str, secret: str = "s3cret") -> int:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        hook = Webhook(site_id=site.id, url=url, secret=secret)
        session.add(hook)
        session.commit()
        return hook.id


def _plan(app: Flask, mention_id: int) -> list[WebhookDelivery]:
    with services(app).db.session() as session:
        ids = webhooks.plan(session, mention_id)
        session.commit()
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids))))


def _settings(app: Flask) -> webhooks.WebhookSettings:
    return webhooks.WebhookSettings.from_config(app.config)


def _delivery(app: Flask, delivery_id: int) -> WebhookDelivery:
    with services(app).db.session() as session:
        found = session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found


def _set_status(app: Flask, mention_id: int, status: str) -> None:
    with services(app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        mention.status = status
        session.commit()


# -- bodies and signatures --------------------------------------------------------------------


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"secret": "k", "source": "https://a.example/"}'
    expected = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert webhooks.sign("k", body) == expected
    assert webhooks.verify_signature("k", body, expected)
    assert not webhooks.verify_signature("k", body + b" ", expected)
    assert not webhooks.verify_signature("other", body, expected)


def test_the_body_is_shaped_like_webmention_ios(hook_app: Flask, alice_id: int) -> None:
    mention_id = add_mention(hook_app, POST, author_name="Alice Author", content_text="Nice!")
    data = webhooks.payload(mention_row(hook_app, mention_id), webhooks.NEW)
    body = json.loads(webhooks.body_bytes("s3cret", data))
    assert body["secret"] == "s3cret"
    assert body["source"].startswith("https://author") and body["target"] == POST
    assert body["deleted"] is False
    assert body["post"] == jf2.entry(mention_row(hook_app, mention_id))
    assert body["post"]["author"]["name"] == "Alice Author"
    assert body["post"]["wm-property"] == "in-reply-to"
    assert (body["event"], body["status"]) == ("new", "approved")


# -- which events a change calls for ----------------------------------------------------------


def test_events_follow_what_readers_can_see(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    _hook(hook_app, receiver.url())
    held = add_mention(hook_app, POST, status="held")
    assert _plan(hook_app, held) == []  # held: nothing public happened
    _set_status(hook_app, held, "approved")
    assert [d.event for d in _plan(hook_app, held)] == ["new"]
    assert [d.event for d in _plan(hook_app, held)] == ["updated"]
    _set_status(hook_app, held, "deleted")
    (deleted,) = _plan(hook_app, held)
    assert deleted.event == "deleted" and deleted.payload["deleted"] is True
    assert _plan(hook_app, held) == []  # told once is enough
    rejected = add_mention(hook_app, POST, status="rejected")
    assert _plan(hook_app, rejected) == []  # never shown, so never "deleted"


def test_inactive_webhooks_and_other_sites_webhooks_are_not_called(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    hook_id = _hook(hook_app, receiver.url())
    with services(hook_app).db.session() as session:
        hook = session.get(Webhook, hook_id)
        assert hook is not None
        hook.active = False
        session.commit()
    add_site(hook_app, "other.example", alice_id)
    other = add_mention(hook_app, "https://other.example/p")
    assert _plan(hook_app, add_mention(hook_app, POST)) == []
    assert _plan(hook_app, other) == []


# -- sending ----------------------------------------------------------------------------------


def test_a_delivery_reaches_a_real_server_signed(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    _hook(hook_app, receiver.url("/wm"), secret="the-secret")
    (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
    assert webhooks.deliver(services(hook_app).db, delivery.id, _settings(hook_app)) == "delivered"
    (call,) = receiver.calls
    assert call.path == "/wm"
    assert call.headers["Content-Type"] == "application/json"
    signature = call.headers[webhooks.SIGNATURE_HEADER]
    assert signature == "sha256=" + hmac.new(b"the-secret", call.body, hashlib.sha256).hexdigest()
    assert call.headers[webhooks.EVENT_HEADER] == "new"
    assert call.headers[webhooks.DELIVERY_HEADER] == str(delivery.id)
    assert json.loads(call.body)["secret"] == "the-secret"
    logged = _delivery(hook_app, delivery.id)
    assert (logged.status, logged.attempts, logged.response_status) == ("delivered", 1, 200)
    assert logged.delivered_at is not None


def test_server_errors_are_retried_with_backoff_then_given_up(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    receiver.statuses = [503]
    _hook(hook_app, receiver.url())
    (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
    db, settings = services(hook_app).db, _settings(hook_app)
    countdowns = []
    for _ in range(2):
        with pytest.raises(RetryLater) as retry:
            webhooks.deliver(db, delivery.id, settings)
        countdowns.append(retry.value.countdown)
        assert _delivery(hook_app, delivery.id).status == "retrying"
    assert countdowns == [settings.backoff, settings.backoff * 2]
    assert webhooks.deliver(db, delivery.id, settings) == "failed"  # WEBHOOK_MAX_TRIES=3
    logged = _delivery(hook_app, delivery.id)
    assert logged.error == "the webhook answered 503 (gave up after 3 tries)"
    assert len(receiver.calls) == 3
    assert webhooks.deliver(db, delivery.id, settings) is None  # finished: nothing more sent
    assert len(receiver.calls) == 3


def test_a_client_error_fails_at_once(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    receiver.statuses = [404]
    _hook(hook_app, receiver.url())
    (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
    assert webhooks.deliver(services(hook_app).db, delivery.id, _settings(hook_app)) == "failed"
    assert _delivery(hook_app, delivery.id).error == "the webhook answered 404"


def test_a_webhook_on_a_port_not_allowed_is_never_called(hook_app: Flask, alice_id: int) -> None:
    with Trap() as trap:
        _hook(hook_app, f"http://127.0.0.1:{trap.port}/hook")
        (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
        status = webhooks.deliver(services(hook_app).db, delivery.id, _settings(hook_app))
    assert status == "failed"
    error = _delivery(hook_app, delivery.id).error or ""
    assert error.startswith("refused: ") and f"port {trap.port}" in error
    assert trap.connections == 0


def test_a_webhook_on_a_private_address_is_never_called(
    hook_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Trap() as trap:
        # The trap's port is an allowed port, so only the address check stands in the way.
        settings = {**hook_settings, "PINGSVC_FETCH_PORTS": f"80,443,{trap.port}"}
        app = make_app(settings, monkeypatch)
        add_site(app, "blog.example", add_account(app, "alice@example.com"))
        _hook(app, f"http://127.0.0.1:{trap.port}/hook")
        (delivery,) = _plan(app, add_mention(app, POST))
        status = webhooks.deliver(services(app).db, delivery.id, _settings(app))
        services(app).db.dispose()
    assert status == "failed"
    error = _delivery(app, delivery.id).error or ""
    assert error.startswith("refused: ") and "a loopback address (127.0.0.1)" in error
    assert trap.connections == 0


def test_a_redirect_is_not_followed(hook_app: Flask, alice_id: int, receiver: HookReceiver) -> None:
    with Trap() as trap:
        receiver.statuses, receiver.location = [302], f"http://127.0.0.1:{trap.port}/"
        _hook(hook_app, receiver.url())
        (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
        status = webhooks.deliver(services(hook_app).db, delivery.id, _settings(hook_app))
    assert status == "failed" and trap.connections == 0


def test_lost_deliveries_are_found_by_the_sweeper(
    hook_app: Flask, alice_id: int, receiver: HookReceiver
) -> None:
    _hook(hook_app, receiver.url())
    (delivery,) = _plan(hook_app, add_mention(hook_app, POST))
    assert webhooks.due_ids(services(hook_app).db, older_than=3600) == []
    assert webhooks.due_ids(services(hook_app).db, older_than=-1) == [delivery.id]


# -- the dashboard's webhook pages ------------------------------------------------------------


@pytest.fixture
def alice(hook_app: Flask, alice_id: int) -> Browser:
    return Browser(hook_app.test_client(), "alice@example.com")


def _site_id(app: Flask) -> int:
    with services(app).db.session() as session:
        site_id = session.scalar(select(Site.id).where(Site.host == "blog.example"))
        assert site_id is not None
        return site_id


def test_adding_a_webhook_shows_its_secret_and_log(
    hook_app: Flask, alice: Browser, receiver: HookReceiver
) -> None:
    answer = alice.post(f"/dashboard/sites/{_site_id(hook_app)}/webhooks", {"url": receiver.url()})
    assert answer.status_code == 303
    page = alice.text(answer.headers["Location"])
    with services(hook_app).db.session() as session:
        (hook,) = session.scalars(select(Webhook))
    assert hook.url == receiver.url() and len(hook.secret) >= 24
    assert hook.secret in page and "Nothing sent yet" in page


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://hooks.example/x", "http:// or https://"), ("", "missing"),
     ("http://no-such-host.invalid/x", "could not be resolved"),
     # not [v1.x]: before the fix that was looked up in DNS
     ("http://[v1.127.0.0.1]/hook", "not an IPv6 address")],
)  # fmt: skip
def test_a_bad_webhook_url_is_a_clear_400(
    hook_app: Flask, alice: Browser, url: str, message: str
) -> None:
    answer = alice.post(f"/dashboard/sites/{_site_id(hook_app)}/webhooks", {"url": url})
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


def test_a_webhook_on_a_private_address_is_refused_when_added(
    hook_app: Flask, alice: Browser
) -> None:
    with Trap() as trap:
        answer = alice.post(
            f"/dashboard/sites/{_site_id(hook_app)}/webhooks",
            {"url": f"http://127.0.0.1:{trap.port}/hook"},
        )
    assert answer.status_code == 400
    assert "can&#39;t be called" in answer.get_data(as_text=True)
    assert trap.connections == 0


def test_the_test_button_and_resend_go_through_the_log(
    hook_app: Flask, alice: Browser, receiver: HookReceiver
) -> None:
    hook_id = _hook(hook_app, receiver.url())
    assert alice.post(f"/dashboard/webhooks/{hook_id}/test").status_code == 303
    with services(hook_app).db.session() as session:
        (first,) = session.scalars(select(WebhookDelivery))
    assert (first.event, first.status) == ("test", "queued")
    assert queued_tasks(hook_app) == [(WEBHOOK_TASK, [first.id])]  # sent after the commit
    webhooks.deliver(services(hook_app).db, first.id, _settings(hook_app))
    assert receiver.json()["event"] == "test"
    page = alice.text(f"/dashboard/webhooks/{hook_id}")
    assert "HTTP 200" in page and "delivered" in page

    assert alice.post(f"/dashboard/deliveries/{first.id}/resend").status_code == 303
    with services(hook_app).db.session() as session:
        first_again, second = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
    assert second.payload == first_again.payload and second.status == "queued"
    assert queued_tasks(hook_app) == [(WEBHOOK_TASK, [first.id]), (WEBHOOK_TASK, [second.id])]
    webhooks.deliver(services(hook_app).db, second.id, _settings(hook_app))
    assert receiver.calls[0].body == receiver.calls[1].body
    assert "sent again" in alice.text(f"/dashboard/sites/{_site_id(hook_app)}")


# -- the whole path with a real worker --------------------------------------------------------

REPLY = """<!doctype html><html><body><article class="h-entry">
<a class="p-author h-card" href="/">Wren Worker</a>
<a class="u-in-reply-to" href="https://blog.example/post/1">re</a>
<div class="e-content">Through the real worker.</div></article></body></html>"""


@pytest.mark.integration
def test_a_real_worker_emails_then_calls_the_webhook_on_approval_and_deletion(
    hook_settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    pages: PageServer,
    receiver: HookReceiver,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    inbox, port = smtp
    settings = {**hook_settings, "PINGSVC_SMTP_HOST": "127.0.0.1", "PINGSVC_SMTP_PORT": str(port)}
    app = make_app(settings, monkeypatch)
    account = add_account(app, "alice@example.com")
    add_site(app, "blog.example", account, policy="hold_all")
    opt_in(app)
    _hook(app, receiver.url(), secret="worker-secret")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        client: FlaskClient = app.test_client()
        source = pages.add("/hooks/reply.html", REPLY)
        answer = client.post("/webmention", data={"source": source, "target": POST})
        mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
        assert wait_for(lambda: len(inbox.messages) == 1, 30), worker.output()
        assert mention_row(app, mention_id).status == "held"
        assert receiver.calls == []  # held: nothing is public yet

        alice = Browser(client, "alice@example.com")
        alice.post(f"/dashboard/mentions/{mention_id}/moderate", {"action": "approve"})
        assert wait_for(lambda: len(receiver.calls) == 1, 30), worker.output()
        call = receiver.calls[0]
        expected = hmac.new(b"worker-secret", call.body, hashlib.sha256).hexdigest()
        assert call.headers[webhooks.SIGNATURE_HEADER] == f"sha256={expected}"
        body = receiver.json()
        assert (body["event"], body["deleted"], body["source"]) == ("new", False, source)
        assert body["post"]["author"]["name"] == "Wren Worker"

        alice.post(f"/dashboard/mentions/{mention_id}/moderate", {"action": "delete"})
        assert wait_for(lambda: len(receiver.calls) == 2, 30), worker.output()
        assert receiver.json()["deleted"] is True
        log = alice.text(f"/dashboard/mentions/{mention_id}")
        assert re.search(r"<td>new</td><td>delivered</td>", log)
        assert len(inbox.messages) == 1  # one e-mail per mention
    finally:
        worker.stop()
        services(app).db.dispose()
