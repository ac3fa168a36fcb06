"""A bearer token (Private Webmention) goes only to the origin it was given for: a redirect
to another origin drops the Authorization header, one on the same origin keeps it. And a
401 page is readable on request, so its token_endpoint can be found."""

from __future__ import annotations

import uuid

import pytest

from pingsvc.errors import FetchError
from pingsvc.fetch.client import fetch
from pingsvc.fetch.policy import FetchPolicy
from tests.support.pageserver import PageServer

BEARER = {"Authorization": "Bearer tok-secret-1"}


def _policy(pages: PageServer) -> FetchPolicy:
    # The same loopback server under two origins: 127.0.0.1 and localhost.
    return FetchPolicy(allow=frozenset({pages.hostport, f"localhost:{pages.port}"}))


def test_a_redirect_to_another_origin_drops_the_token(pages: PageServer) -> None:
    tag = uuid.uuid4().hex[:8]
    pages.add(f"/{tag}/landing", "<p>landed</p>")
    away = f"http://localhost:{pages.port}/{tag}/landing"
    start = pages.add(f"/{tag}/hop", "", status=302, headers={"Location": away})
    page = fetch(start, _policy(pages), headers=BEARER)
    assert page.url == away
    assert pages.last_headers[f"/{tag}/hop"]["Authorization"] == BEARER["Authorization"]
    assert "Authorization" not in pages.last_headers[f"/{tag}/landing"]


def test_a_redirect_that_parsers_read_apart_drops_the_token(pages: PageServer) -> None:
    # urlsplit reads this Location's host as 127.0.0.1 (the current origin), the connection
    # goes to localhost: the origin compared must be the one connected to.
    tag = uuid.uuid4().hex[:8]
    landing = f"/%5C@127.0.0.1:{pages.port}/{tag}/landing"
    pages.add(landing, "<p>landed</p>")
    away = f"http://localhost:{pages.port}\\@127.0.0.1:{pages.port}/{tag}/landing"
    start = pages.add(f"/{tag}/hop", "", status=302, headers={"Location": away})
    fetch(start, _policy(pages), headers=BEARER)
    assert pages.last_headers[f"/{tag}/hop"]["Authorization"] == BEARER["Authorization"]
    assert "Authorization" not in pages.last_headers[landing]


def test_a_redirect_on_the_same_origin_keeps_the_token(pages: PageServer) -> None:
    tag = uuid.uuid4().hex[:8]
    pages.add(f"/{tag}/landing", "<p>landed</p>")
    start = pages.add(f"/{tag}/hop", "", status=302, headers={"Location": f"/{tag}/landing"})
    fetch(start, _policy(pages), headers=BEARER)
    assert pages.last_headers[f"/{tag}/landing"]["Authorization"] == BEARER["Authorization"]


def test_a_401_page_is_an_error_unless_asked_for(pages: PageServer) -> None:
    url = pages.add(f"/{uuid.uuid4().hex[:8]}/locked", "<p>log in</p>", status=401)
    with pytest.raises(FetchError, match="401"):
        fetch(url, _policy(pages))
    page = fetch(url, _policy(pages), denied_ok=True)
    assert (page.status_code, page.body) == (401, b"<p>log in</p>")
