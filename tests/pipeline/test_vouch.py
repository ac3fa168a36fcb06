"""Vouch end to end on 127.0.0.1: under hold_new, a mention from a domain never approved
(`localhost`) is approved when its vouch is a page on a trusted domain (`127.0.0.1`,
approved before) that links to the source's domain; held otherwise, with the reason. A
site may require a vouch: 449."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import services
from pingsvc.models import Site
from tests.conftest import TARGET
from tests.support.mentions import add, mention_row, site_id
from tests.support.pageserver import PageServer
from tests.support.receiving import receive, verify

REPLY = '<p class="h-entry">Hi <a href="https://blog.example/post/1">post</a></p>'


@pytest.fixture
def settings(settings: dict[str, str], pages: PageServer) -> dict[str, str]:
    # Two domains on loopback: the source's (localhost) and the trusted one (127.0.0.1).
    return settings | {"PINGSVC_FETCH_ALLOW": f"{pages.hostport},localhost:{pages.port}"}


@pytest.fixture
def hold_new(app: Flask) -> Iterator[Flask]:
    _site(app, policy="hold_new")
    yield app


def _site(app: Flask, **values: object) -> None:
    with services(app).db.session() as session:
        site = session.query(Site).filter_by(host="blog.example").one()
        for name, value in values.items():
            setattr(site, name, value)
        session.commit()


def _trust_loopback(app: Flask) -> None:
    """127.0.0.1 sent a mention the owner approved: a trusted domain."""
    add(app, mention_row(site_id(app), source="http://127.0.0.1/earlier", status="approved"))


def _source(pages: PageServer, path: str = "/new-friend") -> str:
    pages.add(path, REPLY)
    return f"http://localhost:{pages.port}{path}"


def _vouch(pages: PageServer, links_to: str) -> str:
    return pages.add("/vouch", f'<p>My friend: <a href="{links_to}">them</a></p>')


def test_a_vouch_from_a_trusted_domain_approves_a_new_domain(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _trust_loopback(hold_new)
    vouch = _vouch(pages, f"http://localhost:{pages.port}/")
    mention = verify(hold_new, receive(client, _source(pages), vouch=vouch))
    assert (mention.status, mention.vouch) == ("approved", vouch)
    assert mention.vouch_note == f"vouched for by {vouch} (on 127.0.0.1, approved before)"


def test_without_a_vouch_the_new_domain_is_held(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _trust_loopback(hold_new)
    assert verify(hold_new, receive(client, _source(pages))).status == "held"


def test_a_vouch_page_that_does_not_link_to_the_source_is_refused(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _trust_loopback(hold_new)
    vouch = _vouch(pages, "https://someone-else.example/")
    mention = verify(hold_new, receive(client, _source(pages), vouch=vouch))
    assert mention.status == "held"
    assert mention.vouch_note == "the vouch page does not link to localhost"


def test_a_vouch_on_an_unknown_domain_is_refused_unread(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    # Nothing from 127.0.0.1 was ever approved: the vouch is not worth a request.
    vouch = _vouch(pages, f"http://localhost:{pages.port}/")
    mention_id = receive(client, _source(pages), vouch=vouch)
    pages.hits.clear()  # the server is shared by the module's tests
    mention = verify(hold_new, mention_id)
    assert mention.status == "held"
    assert mention.vouch_note == "the vouch is on 127.0.0.1, a domain this site never approved"
    assert pages.hits == ["/new-friend"]


def test_a_vouch_page_that_cannot_be_read_counts_for_nothing(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _trust_loopback(hold_new)
    mention = verify(hold_new, receive(client, _source(pages), vouch=pages.url("/missing")))
    assert mention.status == "held"
    assert mention.vouch_note == "the vouch page could not be read (the vouch page returned 404)"


def test_a_publish_site_does_not_read_the_vouch(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    vouch = _vouch(pages, f"http://localhost:{pages.port}/")
    mention_id = receive(client, _source(pages), vouch=vouch)
    pages.hits.clear()  # the server is shared by the module's tests
    mention = verify(app, mention_id)
    assert (mention.status, mention.vouch_note) == (
        "approved",
        "not needed: the site does not hold this source's domain",
    )
    assert pages.hits == ["/new-friend"]


def test_a_site_that_requires_a_vouch_answers_449(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _site(hold_new, require_vouch=True)
    _trust_loopback(hold_new)
    source = _source(pages)
    response = client.post("/webmention", data={"source": source, "target": TARGET})
    assert response.status_code == 449
    body = response.get_json()
    assert body["error"] == "vouch_required"
    assert "vouch" in body["error_description"]
    # With a vouch it is taken, and approved by it; the domain needs none after that.
    vouch = _vouch(pages, f"http://localhost:{pages.port}/")
    assert verify(hold_new, receive(client, source, vouch=vouch)).status == "approved"
    assert receive(client, _source(pages, "/second")) > 0


def test_an_approved_domain_needs_no_vouch_on_a_449_site(
    hold_new: Flask, client: FlaskClient, pages: PageServer
) -> None:
    _site(hold_new, require_vouch=True)
    _trust_loopback(hold_new)
    source = pages.add("/from-trusted", REPLY)  # on 127.0.0.1, approved before
    assert verify(hold_new, receive(client, source)).status == "approved"
