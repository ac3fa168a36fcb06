"""Private Webmention end to end on 127.0.0.1: /webmention takes code and realm, the worker
finds the source's token_endpoint, trades the code there and reads the source with the
bearer token; the mention is private (owner only). A refused code or a broken token
endpoint rejects it with a reason a person can read."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Site
from tests.conftest import TARGET
from tests.support.dashboard import add_account, login
from tests.support.pageserver import PageServer
from tests.support.receiving import receive, site_token, verify

POST = """<article class="h-entry"><span class="p-author h-card">Alice</span>
<p class="e-content">Only for friends: <a href="https://blog.example/post/1">this</a></p>
</article>"""


def _private_source(pages: PageServer, *, in_html: bool = False) -> str:
    token = pages.url("/token")
    if in_html:
        body = f'<link rel="token_endpoint" href="{token}">' + POST
        return pages.add("/private", body)
    return pages.add("/private", POST, headers={"Link": f'<{token}>; rel="token_endpoint"'})


def _token_endpoint(pages: PageServer, status: int = 200, answer: object = None) -> None:
    document = {"access_token": "tok-secret-1", "token_type": "Bearer"}
    pages.add(
        "/token",
        json.dumps(document if answer is None else answer),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def test_the_code_is_exchanged_and_the_source_read_with_the_bearer_token(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages)
    mention_id = receive(client, _private_source(pages), code="abc123", realm="Friends")
    mention = verify(app, mention_id)
    assert (mention.status, mention.private, mention.realm) == ("approved", True, "Friends")
    exchanged = pages.posted("/token")
    assert len(exchanged) == 1
    assert parse_qs(exchanged[0].body.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["abc123"],
    }
    assert pages.last_headers["/private"]["Authorization"] == "Bearer tok-secret-1"


def test_a_token_endpoint_in_the_html_is_found_too(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages)
    mention = verify(app, receive(client, _private_source(pages, in_html=True), code="abc123"))
    assert (mention.status, mention.private) == ("approved", True)
    assert pages.last_headers["/private"]["Authorization"] == "Bearer tok-secret-1"


def test_a_refused_code_rejects_the_mention_with_the_endpoints_words(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages, 400, {"error": "invalid_grant", "error_description": "code expired"})
    mention = verify(app, receive(client, _private_source(pages), code="stale"))
    assert mention.status == "rejected"
    refused = "the token endpoint refused the code (400: invalid_grant (code expired))"
    assert mention.error == refused
    assert mention.error_kind == "private"
    assert "Authorization" not in pages.last_headers["/private"]  # never read with a token


def test_an_answer_without_a_token_rejects_the_mention(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages, 200, {"token_type": "Bearer"})
    mention = verify(app, receive(client, _private_source(pages), code="abc"))
    assert (mention.status, mention.error) == (
        "rejected",
        "the token endpoint's answer has no access_token",
    )


def test_a_source_without_a_token_endpoint_is_rejected(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    mention = verify(app, receive(client, pages.add("/plain", POST), code="abc"))
    assert mention.status == "rejected"
    assert "advertises no token_endpoint" in (mention.error or "")


def test_a_private_mention_is_hidden_publicly_and_shown_to_the_owner(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages)
    mention_id = receive(client, _private_source(pages), code="abc123")
    assert verify(app, mention_id).status == "approved"
    public = client.get("/api/mentions.jf2", query_string={"target": TARGET}).get_json()
    assert public["children"] == []
    widget = client.get("/embed/mentions.html", query_string={"target": TARGET})
    assert "Only for friends" not in widget.get_data(as_text=True)
    status = client.get(f"/webmention/status/{mention_id}").get_json()
    assert "source" not in status
    owner = client.get(
        "/api/mentions.jf2", query_string={"target": TARGET, "token": site_token(app)}
    ).get_json()
    assert [(c["wm-private"], "Only for friends" in c["content"]["text"]) for c in
            owner["children"]] == [(True, True)]  # fmt: skip


def test_a_bad_code_or_realm_is_refused_at_once(client: FlaskClient) -> None:
    source = "https://alice.example/post"
    cases = [
        ({"code": "x" * 513}, "invalid_code"),
        ({"realm": "Friends"}, "invalid_realm"),
        ({"code": "abc", "realm": "bad\nrealm"}, "invalid_realm"),
        ({"vouch": "ftp://friend.example/"}, "invalid_request"),
    ]
    for extra, code in cases:
        response = client.post("/webmention", data={"source": source, "target": TARGET, **extra})
        assert response.status_code == 400, extra
        body = response.get_json()
        assert body["error_description"], extra
        if code != "invalid_request":
            assert body["error"] == code, extra


def test_the_dashboard_shows_the_owner_a_private_mention_and_its_realm(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _token_endpoint(pages)
    mention_id = receive(client, _private_source(pages), code="abc123", realm="Close friends")
    assert verify(app, mention_id).private
    owner = add_account(app, "owner@example.org")
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.owner_id = owner
        session.commit()
    login(client, "owner@example.org")
    page = client.get(f"/dashboard/mentions/{mention_id}").get_data(as_text=True)
    assert "shown only to you (realm: Close friends)" in page
    assert "Only for friends" in page


def test_a_public_mention_sent_again_with_a_code_turns_private_in_the_change_feed(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    from pingsvc.models import MentionChange

    _token_endpoint(pages)
    source = _private_source(pages)
    mention_id = receive(client, source)
    assert verify(app, mention_id).private is False

    def lines() -> int:
        with services(app).db.session() as session:
            found = session.scalars(select(MentionChange).filter_by(mention_id=mention_id))
            return len(found.all())

    before = lines()
    assert receive(client, source, code="abc123") == mention_id
    assert verify(app, mention_id).private is True
    assert lines() == before + 1  # public readers of the feed learn it is gone
