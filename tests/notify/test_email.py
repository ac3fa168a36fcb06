"""E-mail about a new mention, through a real SMTP server on 127.0.0.1: once per mention, only
when the owner opted in and SMTP is set, and an outage raised for the task to retry."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.notify.email import SmtpSettings, email_mention
from tests.notify.conftest import Inbox, opt_in
from tests.support.dashboard import Trap, mention_row
from tests.support.mentions import add_mention

POST = "https://blog.example/post/1"


def _smtp_settings(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, sender="pingsvc@mentions.example")


def test_the_owner_is_emailed_once_about_a_new_mention(
    hook_app: Flask, alice_id: int, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    opt_in(hook_app)
    mention_id = add_mention(
        hook_app, POST, status="held", author_name="Hana <Held>", content_text="Lovely post."
    )
    db = services(hook_app).db
    base = hook_app.config["BASE_URL"]
    assert email_mention(db, mention_id, _smtp_settings(port), base) == "alice@example.com"
    (sender, recipients, raw), = inbox.messages  # fmt: skip
    message = message_from_bytes(raw)
    assert sender == "pingsvc@mentions.example" and recipients == ["alice@example.com"]
    assert message["Subject"] == "[blog.example] new reply from Hana <Held> (waiting for review)"
    body = message.get_payload(decode=True).decode()
    assert "Lovely post." in body and f"{base}/dashboard/mentions/{mention_id}" in body
    assert email_mention(db, mention_id, _smtp_settings(port), base) is None
    assert len(inbox.messages) == 1


def test_no_email_without_opt_in_or_smtp(
    hook_app: Flask, alice_id: int, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    mention_id = add_mention(hook_app, POST)
    db, base = services(hook_app).db, hook_app.config["BASE_URL"]
    assert email_mention(db, mention_id, _smtp_settings(port), base) is None  # not opted in
    opt_in(hook_app)
    assert email_mention(db, mention_id, None, base) is None  # PINGSVC_SMTP_HOST unset
    assert inbox.messages == []


def test_an_smtp_outage_raises_for_the_task_to_retry(hook_app: Flask, alice_id: int) -> None:
    opt_in(hook_app)
    mention_id = add_mention(hook_app, POST)
    with Trap() as closed:  # listening, then closed: the port refuses connections
        port = closed.port
    with pytest.raises(OSError):
        email_mention(services(hook_app).db, mention_id, _smtp_settings(port), "http://x")
    assert mention_row(hook_app, mention_id).emailed_at is None
