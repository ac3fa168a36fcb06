"""pingsvc.fetch.client against a real page server on 127.0.0.1: what a good page gives and
how each failure is classified (retry, reject, delete)."""

from __future__ import annotations

import pytest

from pingsvc.errors import FetchError, HostilePage, SourceGone, TransientFetchError
from pingsvc.fetch.client import fetch
from pingsvc.fetch.policy import FetchPolicy
from tests.support.pageserver import PageServer


@pytest.fixture
def policy(pages: PageServer) -> FetchPolicy:
    return FetchPolicy(
        timeout=3, max_bytes=64 * 1024, max_redirects=3, allow=frozenset({pages.hostport})
    )


def test_fetch_returns_the_page_with_its_type_and_final_url(
    pages: PageServer, policy: FetchPolicy
) -> None:
    final = pages.add(
        "/fetch/final", "<p>héllo</p>", headers={"Content-Type": "text/html; charset=utf-8"}
    )
    start = pages.add("/fetch/start", status=301, headers={"Location": "/fetch/final"})
    page = fetch(start, policy)
    assert page.url == final
    assert page.status_code == 200
    assert page.media_type == "text/html"
    assert page.text == "<p>héllo</p>"


def test_gzip_bodies_are_decompressed(pages: PageServer, policy: FetchPolicy) -> None:
    url = pages.add_gzip("/fetch/gz", b"<p>compressed</p>")
    assert fetch(url, policy).text == "<p>compressed</p>"


def test_not_found_is_a_permanent_failure(pages: PageServer, policy: FetchPolicy) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(pages.url("/fetch/missing"), policy)
    assert not isinstance(caught.value, TransientFetchError)
    assert caught.value.kind == "not_found"
    assert "404" in caught.value.reason


def test_gone_deletes(pages: PageServer, policy: FetchPolicy) -> None:
    with pytest.raises(SourceGone):
        fetch(pages.add("/fetch/gone", "gone", status=410), policy)
    meta = '<meta http-equiv="Status" content="410 Gone"><p>deleted</p>'
    with pytest.raises(SourceGone):
        fetch(pages.add("/fetch/gone-meta", meta), policy)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_retried(pages: PageServer, policy: FetchPolicy, status: int) -> None:
    with pytest.raises(TransientFetchError) as caught:
        fetch(pages.add(f"/fetch/e{status}", "busy", status=status), policy)
    assert caught.value.status_code == status


def test_redirects_within_the_limit_are_followed(pages: PageServer, policy: FetchPolicy) -> None:
    pages.add("/fetch/hop3", "end")
    for n in (2, 1, 0):
        pages.add(f"/fetch/hop{n}", status=302, headers={"Location": f"/fetch/hop{n + 1}"})
    assert fetch(pages.url("/fetch/hop0"), policy).text == "end"  # 3 redirects, limit 3
    with pytest.raises(HostilePage, match="redirected more than 2 times"):
        fetch(pages.url("/fetch/hop0"), FetchPolicy(**{**policy.__dict__, "max_redirects": 2}))


def test_a_refused_connection_is_retried_later(policy: FetchPolicy) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        allowed = FetchPolicy(**{**policy.__dict__, "allow": frozenset({f"127.0.0.1:{port}"})})
        with pytest.raises(TransientFetchError, match="could not connect"):
            fetch(f"http://127.0.0.1:{port}/", allowed)


def test_a_conditional_get_answered_304_returns_an_empty_page(
    pages: PageServer, policy: FetchPolicy
) -> None:
    url = pages.add("/fetch/etag", "<p>feed</p>", headers={"ETag": '"v1"'})
    assert fetch(url, policy).headers["ETag"] == '"v1"'
    page = fetch(url, policy, headers={"If-None-Match": '"v1"'})
    assert (page.status_code, page.body) == (304, b"")
    assert pages.last_headers["/fetch/etag"]["If-None-Match"] == '"v1"'
    assert fetch(url, policy, headers={"If-None-Match": '"v0"'}).text == "<p>feed</p>"


def test_a_304_to_an_unconditional_get_is_still_an_error(
    pages: PageServer, policy: FetchPolicy
) -> None:
    url = pages.add("/fetch/bare-304", status=304)
    with pytest.raises(FetchError, match="304"):
        fetch(url, policy)
