"""Fixtures of the notification tests: a webhook receiver and an SMTP server on 127.0.0.1,
and an app that may call the receiver although it is on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Site
from tests.conftest import make_app
from tests.support.dashboard import HookReceiver, add_account, add_site
from tests.support.services import free_port


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    server = HookReceiver()
    yield server
    server.stop()


@pytest.fixture
def hook_settings(settings: dict[str, str], receiver: HookReceiver) -> dict[str, str]:
    """The test settings, with the webhook receiver's port allowed although it is loopback."""
    allow = f"{settings['PINGSVC_FETCH_ALLOW']},{receiver.hostport}"
    return {**settings, "PINGSVC_FETCH_ALLOW": allow, "PINGSVC_WEBHOOK_MAX_TRIES": "3"}


@pytest.fixture
def hook_app(hook_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(hook_settings, monkeypatch)
    yield app
    services(app).db.dispose()


@pytest.fixture
def alice_id(hook_app: Flask) -> int:
    account = add_account(hook_app, "alice@example.com")
    add_site(hook_app, "blog.example", account)
    return account


class Inbox:
    """aiosmtpd's handler: keeps every message the SMTP server on 127.0.0.1 receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1: its inbox and port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def opt_in(app: Flask) -> None:
    """blog.example's owner asks for an e-mail about each new mention."""
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.email_notify = True
        session.commit()
