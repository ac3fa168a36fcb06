"""pingsvc.fetch against a real page server on 127.0.0.1: what a good page gives, how each
failure is classified (retry, reject, delete), and how bodies are decoded."""

from __future__ import annotations

import gzip

import pytest

from pingsvc.errors import FetchError, HostilePage, SourceGone, TransientFetchError
from pingsvc.fetch import FetchPolicy, Page, choose_codec, decode_body, fetch, parse_content_type
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


def test_content_type_parsing() -> None:
    assert parse_content_type('text/HTML; charset="ISO-8859-1"') == ("text/html", "iso-8859-1")
    assert parse_content_type("") == ("text/html", None)
    assert parse_content_type("application/json") == ("application/json", None)


@pytest.mark.parametrize(
    ("body", "charset", "expected"),
    [
        ("café".encode(), None, "utf-8"),
        ("café".encode("cp1252"), None, "cp1252"),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "latin-1", "utf-8"),  # BOM wins over the header
        ('<meta charset="koi8-r"><p>\xc1</p>'.encode("latin-1"), None, "koi8-r"),
        ("café".encode("cp1252"), "iso-8859-1", "cp1252"),  # browsers read Latin-1 as cp1252
        (b"caf\xc3\xa9", "rot13", "utf-8"),  # not a text encoding: ignored
        (b"caf\xc3\xa9", "base64", "utf-8"),
        (b"+ADw-script+AD4-", "utf-7", "utf-8"),  # browsers never decode UTF-7
        (b"caf\xc3\xa9", "no-such-charset", "utf-8"),
    ],
)
def test_the_encoding_is_chosen_like_a_browser(
    body: bytes, charset: str | None, expected: str
) -> None:
    assert choose_codec(body, charset) == expected


def test_decoding_never_raises_on_bad_bytes() -> None:
    assert decode_body(b"caf\xff", "utf-8") == "caf\ufffd"
    assert decode_body(gzip.compress(b"x"), "utf-16") != ""
    page = Page(
        url="http://x.example/", status_code=200, media_type="text/html", body=b"<p>\xe9</p>"
    )
    assert page.text == "<p>é</p>"
