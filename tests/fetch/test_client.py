"""pingsvc.fetch.client against a real page server on 127.0.0.1: what a good page gives and
how each failure is classified (retry, reject, delete)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from pingsvc.errors import FetchError, HostilePage, RefusedAddress, SourceGone, TransientFetchError
from pingsvc.fetch.client import fetch, make_session, post, retry_after
from pingsvc.fetch.policy import FetchPolicy
from tests.support.dashboard import Trap
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


def test_post_sends_the_form_through_the_guard_and_reads_the_answer(
    pages: PageServer, policy: FetchPolicy
) -> None:
    pages.add("/post/moved", "x" * 5000, status=201, headers={"Location": "/post/status/1"})
    pages.add("/post/endpoint", status=307, headers={"Location": "/post/moved"})
    answer = post(
        pages.url("/post/endpoint"), {"source": "a", "target": "b"}, policy, max_bytes=100
    )
    assert (answer.url, answer.status_code) == (pages.url("/post/moved"), 201)
    assert answer.header("location") == "/post/status/1"
    assert (answer.body, answer.truncated) == (b"x" * 100, True)
    assert [p.body for p in pages.posted("/post/moved")] == [b"source=a&target=b"]


def test_post_refuses_an_address_the_guard_refuses(policy: FetchPolicy) -> None:
    with Trap() as trap:
        with pytest.raises(RefusedAddress, match=f"the endpoint uses port {trap.port}"):
            post(f"http://127.0.0.1:{trap.port}/", {"source": "a"}, policy)
        assert trap.connections == 0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_700_000_000.0
    assert retry_after("120", now) == 120.0
    assert retry_after(formatdate(now + 90, usegmt=True), now) == 90.0
    assert retry_after(formatdate(now - 90, usegmt=True), now) == 0.0
    assert retry_after("later", now) is None
    assert retry_after("", now) is None
    assert retry_after(None, now) is None


def test_a_busy_source_says_when_to_come_back(pages: PageServer, policy: FetchPolicy) -> None:
    busy = pages.add("/fetch/busy-later", "busy", status=503, headers={"Retry-After": "42"})
    with pytest.raises(TransientFetchError) as caught:
        fetch(busy, policy)
    assert caught.value.retry_after == 42.0


def test_a_redirect_to_an_invalid_url_is_a_clear_failure(
    pages: PageServer, policy: FetchPolicy
) -> None:
    bad = pages.add("/fetch/bad-location", status=302, headers={"Location": "http://[oops/"})
    with pytest.raises(FetchError, match="the source redirected to an invalid URL"):
        fetch(bad, policy)


# What goes on the wire: headers, cookies, the pinned name over TLS.


def _lowered(headers: dict[str, str]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in headers.items()}
    assert len(lowered) == len(headers), f"a header was sent twice: {headers}"
    return lowered


def test_the_policys_headers_are_sent_and_the_callers_replace_them_in_any_case(
    pages: PageServer, policy: FetchPolicy
) -> None:
    url = pages.add("/fetch/headers", "<p>hi</p>")
    agent = FetchPolicy(**{**policy.__dict__, "user_agent": "pingsvc/test"})
    fetch(url, agent, headers={"accept": "application/json", "X-Extra": "1"})
    sent = _lowered(pages.last_headers["/fetch/headers"])
    assert sent["host"] == pages.hostport
    assert sent["user-agent"] == "pingsvc/test"
    assert sent["accept"] == "application/json"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert sent["x-extra"] == "1"
    assert "cookie" not in sent and "authorization" not in sent


@pytest.fixture
def named(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], list[str]]:
    """Make `name` resolve to `address` (loopback) in this process; returns the names the
    fake resolver was asked for."""
    real = socket.getaddrinfo
    answers: dict[str, str] = {}
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def define(name: str, address: str) -> list[str]:
        answers[name] = address
        return asked

    return define


def test_a_named_host_gets_its_name_in_the_host_header(
    pages: PageServer, named: Callable[[str, str], list[str]]
) -> None:
    asked = named("blog.test", "127.0.0.1")
    pages.add("/fetch/named", "<p>named</p>")
    policy = FetchPolicy(timeout=3, allow=frozenset({f"blog.test:{pages.port}"}))
    page = fetch(f"http://Blog.Test:{pages.port}/fetch/named", policy)
    assert page.text == "<p>named</p>"
    assert _lowered(pages.last_headers["/fetch/named"])["host"] == f"blog.test:{pages.port}"
    assert asked == ["blog.test"]


def test_no_cookie_is_kept_from_one_request_to_the_next(
    pages: PageServer, policy: FetchPolicy
) -> None:
    pages.add("/fetch/cookie-b", "<p>b</p>", headers={"Set-Cookie": "seen=2; Path=/"})
    start = pages.add(
        "/fetch/cookie-a", status=302,
        headers={"Location": "/fetch/cookie-b", "Set-Cookie": "seen=1; Path=/"},
    )  # fmt: skip
    session = make_session(policy)
    try:
        fetch(start, policy, session)
        fetch(start, policy, session)  # the same session: the pipeline keeps one a thread
    finally:
        session.close()
    assert "cookie" not in _lowered(pages.last_headers["/fetch/cookie-a"])
    assert "cookie" not in _lowered(pages.last_headers["/fetch/cookie-b"])


def test_a_post_sends_a_form_as_a_form_and_bytes_as_they_are(
    pages: PageServer, policy: FetchPolicy
) -> None:
    pages.add("/post/kinds", status=202)
    post(pages.url("/post/kinds"), {"source": "https://a.example/é", "x": "a b&c"}, policy)
    post(pages.url("/post/kinds"), b"<x/>", policy, headers={"content-type": "text/xml"})
    form, raw = pages.posted("/post/kinds")
    assert form.body == b"source=https%3A%2F%2Fa.example%2F%C3%A9&x=a+b%26c"
    assert _lowered(form.headers)["content-type"] == "application/x-www-form-urlencoded"
    assert (raw.body, _lowered(raw.headers)["content-type"]) == (b"<x/>", "text/xml")
    assert _lowered(raw.headers)["content-length"] == "4"


@pytest.fixture
def tls_server() -> Iterator[tuple[int, list[str]]]:
    """A TLS listener on 127.0.0.1 with a self-signed certificate for pinned.test (no public
    root signs it): it records the name each client asked for (SNI) during the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(Path(__file__).with_name("pinned-test.pem"))
    names: list[str] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value,misc]
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                context.wrap_socket(conn, server_side=True).close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], names
    listener.close()


def test_tls_goes_to_the_checked_address_with_the_name_and_verifies_the_certificate(
    tls_server: tuple[int, list[str]], named: Callable[[str, str], list[str]]
) -> None:
    port, names = tls_server
    asked = named("pinned.test", "127.0.0.1")
    policy = FetchPolicy(timeout=3, allow=frozenset({f"pinned.test:{port}"}))
    with pytest.raises(FetchError, match="TLS certificate could not be verified"):
        fetch(f"https://pinned.test:{port}/", policy)
    assert asked == ["pinned.test"]  # resolved once, by the guard; connected to its answer
    assert names == ["pinned.test"]  # the name, not the address, in the handshake
