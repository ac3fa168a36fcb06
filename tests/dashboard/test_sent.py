"""The "Sent" pages: each target's status, endpoint and last error per site and per post,
and the "Send now" / "Send again" form, which queues a real message for the worker; an
owner sees and sends only their own posts, and every form needs its CSRF token."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import services
from pingsvc.models import Feed, Outgoing
from pingsvc.send import store
from tests.dashboard.conftest import ALICE_POST, BOB_POST, World
from tests.support.dashboard import Browser

OTHER_POST = "https://blog.example/post/2"


def row(app: Flask, row_id: int) -> Outgoing:
    with services(app).db.session() as session:
        found = session.get(Outgoing, row_id)
        assert found is not None
        return found


def add_send(app: Flask, site_id: int, source: str, target: str, **fields: Any) -> int:
    """An Outgoing row as the worker leaves it after a delivery."""
    with services(app).db.session() as session:
        row_id = store.upsert(session, site_id, source, target, linked=fields.pop("linked", True))
        row = session.get(Outgoing, row_id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        session.commit()
        return row_id


@pytest.fixture
def sends(world: World) -> World:
    app = world.app
    add_send(app, world.alice_site, ALICE_POST, "https://rcv.example/a", status="accepted",
             protocol="webmention", endpoint="https://rcv.example/wm", http_code=202,
             summary="queued for review", attempts=1,
             location="https://rcv.example/status/9")  # fmt: skip
    add_send(app, world.alice_site, ALICE_POST, "https://old.example/gone", status="error",
             protocol="pingback", endpoint="https://old.example/xmlrpc", attempts=1,
             last_error="pingback fault 17: <script>alert(1)</script>", linked=False)  # fmt: skip
    add_send(app, world.alice_site, OTHER_POST, "https://plain.example/", status="not_supported",
             attempts=1)  # fmt: skip
    add_send(app, world.bob_site, BOB_POST, "https://bobs-friend.example/x", status="accepted",
             endpoint="https://bobs-friend.example/secret-endpoint")  # fmt: skip
    return world


def queued(settings: dict[str, str], task: str) -> list[Any]:
    """The first argument of each `task` message waiting in the embedded broker's folder."""
    found = []
    for file in sorted((Path(settings["PINGSVC_VAR_DIR"]) / "queue").glob("*")):
        message = json.loads(file.read_bytes())
        if message["headers"].get("task") == task:
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append(args[0])
    return found


def queued_posts(settings: dict[str, str]) -> list[str]:
    return [str(url) for url in queued(settings, "pingsvc.send_post")]


def test_the_site_page_shows_each_target_with_its_status_endpoint_and_error(
    sends: World, alice: Browser
) -> None:
    text = alice.text(f"/dashboard/sites/{sends.alice_site}/sent")
    for shown in (
        ALICE_POST, OTHER_POST, "https://rcv.example/a", "state-accepted", "https://rcv.example/wm",
        "202", "queued for review", "https://rcv.example/status/9", "state-error",
        "https://old.example/xmlrpc", "link removed", "state-not_supported",
    ):  # fmt: skip
        assert shown in text, shown
    assert "pingback fault 17: &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text
    assert text.count(">Send the post again</button>") == 2  # one per post
    assert text.count(">Send again</button>") == 3  # one per target
    assert "bobs-friend" not in text and "secret-endpoint" not in text


def test_the_post_page_shows_only_that_posts_targets(sends: World, alice: Browser) -> None:
    text = alice.text(f"/dashboard/sent/post?source={ALICE_POST}")
    assert "https://rcv.example/a" in text and "https://old.example/gone" in text
    assert "https://plain.example/" not in text
    assert f'name="url" value="{ALICE_POST}"' in text  # the send-again form names the post
    empty = alice.text("/dashboard/sent/post?source=https://blog.example/never-sent")
    assert "Nothing sent for this post yet" in empty


def test_a_site_with_nothing_sent_says_how_to_send(world: World, alice: Browser) -> None:
    text = alice.text(f"/dashboard/sites/{world.alice_site}/sent")
    assert "Nothing sent for blog.example yet" in text and "Send now" in text


def test_send_now_queues_the_post_for_the_worker(
    sends: World, alice: Browser, settings: dict[str, str]
) -> None:
    answer = alice.post("/dashboard/send", {"url": " https://Blog.Example/post/1 "})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(
        "/dashboard/sent/post?source=https%3A%2F%2Fblog.example%2Fpost%2F1"
    )
    assert queued_posts(settings) == [ALICE_POST]
    assert "Sending https://blog.example/post/1" in alice.text(answer.headers["Location"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "Give the post&#39;s URL"),
        ("blog.example/post/1", "must be an absolute http"),
        ("https://blog.example/a b", "contains spaces"),
    ],
)
def test_send_now_with_a_bad_url_says_what_to_fix(
    world: World, alice: Browser, settings: dict[str, str], url: str, expected: str
) -> None:
    answer = alice.post("/dashboard/send", {"url": url})
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert expected in answer.get_data(as_text=True)
    assert queued_posts(settings) == []


def test_an_owner_cannot_send_or_see_another_owners_posts(
    sends: World, alice: Browser, settings: dict[str, str]
) -> None:
    for url in (BOB_POST, "https://unregistered.example/post"):
        assert alice.post("/dashboard/send", {"url": url}).status_code == 404
        assert alice.get(f"/dashboard/sent/post?source={url}").status_code == 404
    assert alice.get(f"/dashboard/sites/{sends.bob_site}/sent").status_code == 404
    assert queued_posts(settings) == []


def test_an_admin_sees_and_sends_for_every_site(
    sends: World, admin: Browser, settings: dict[str, str]
) -> None:
    assert "secret-endpoint" in admin.text(f"/dashboard/sites/{sends.bob_site}/sent")
    assert admin.post("/dashboard/send", {"url": BOB_POST}).status_code == 303
    assert queued_posts(settings) == [BOB_POST]


def test_the_send_form_needs_its_csrf_token(
    sends: World, alice: Browser, client: FlaskClient, settings: dict[str, str]
) -> None:
    answer = client.post("/dashboard/send", data={"url": ALICE_POST})  # logged in, no token
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)
    assert queued_posts(settings) == []


def test_the_pages_need_a_login(sends: World, client: FlaskClient) -> None:
    answer = client.get(f"/dashboard/sites/{sends.alice_site}/sent")
    assert answer.status_code in (302, 303) and "/login" in answer.headers["Location"]


def test_the_site_page_links_to_its_sent_page(world: World, alice: Browser) -> None:
    text = alice.text(f"/dashboard/sites/{world.alice_site}")
    assert f'href="/dashboard/sites/{world.alice_site}/sent"' in text


def test_send_again_on_a_target_queues_its_delivery_only(
    world: World, alice: Browser, settings: dict[str, str]
) -> None:
    failed = add_send(world.app, world.alice_site, ALICE_POST, "https://flaky.example/p",
                      status="error", protocol="webmention", endpoint="https://flaky.example/wm",
                      http_code=500, attempts=5, last_error="gave up after 5 tries",
                      callback="https://hooks.example/cb", linked=False)  # fmt: skip
    answer = alice.post(f"/dashboard/sends/{failed}/resend")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("?source=https%3A%2F%2Fblog.example%2Fpost%2F1")
    again = row(world.app, failed)
    assert (again.status, again.attempts, again.last_error) == ("queued", 0, None)
    assert (again.linked, again.callback) == (False, "https://hooks.example/cb")  # kept
    assert again.endpoint == "https://flaky.example/wm"  # the last result, until the new one
    assert queued(settings, "pingsvc.send_deliver") == [failed]
    assert queued_posts(settings) == []  # the post is not planned again


def test_send_again_on_another_owners_target_changes_nothing(
    world: World, alice: Browser, settings: dict[str, str]
) -> None:
    before = row(world.app, world.bob_send)
    assert alice.post(f"/dashboard/sends/{world.bob_send}/resend").status_code == 404
    assert row(world.app, world.bob_send).queued_at == before.queued_at
    assert queued(settings, "pingsvc.send_deliver") == []


def test_the_site_page_lists_its_watched_feeds_and_their_last_error(
    world: World, alice: Browser
) -> None:
    with services(world.app).db.session() as session:
        session.add_all([
            Feed(site_id=world.alice_site, url="https://blog.example/feed.xml",
                 last_error="the feed returned 503"),
            Feed(site_id=world.bob_site, url="https://bob.example/secret-feed.xml"),
        ])  # fmt: skip
        session.commit()
    text = alice.text(f"/dashboard/sites/{world.alice_site}/sent")
    assert "https://blog.example/feed.xml" in text and "the feed returned 503" in text
    assert "secret-feed" not in text
