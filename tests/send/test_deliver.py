"""pingsvc.send.deliver against real servers on 127.0.0.1: each webmention.rocks case ends in
a POST to the right endpoint, the pingback fallback and its faults, how each failure is
classified (retry with Retry-After, error), and endpoints the address guard refuses, whose
trap servers are never contacted."""

from __future__ import annotations

import ipaddress
import socket
import xmlrpc.client
import zlib
from typing import Any
from urllib.parse import parse_qs

import pytest

from pingsvc.errors import HostilePage
from pingsvc.fetch.client import fetch
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.send.deliver import Delivery, deliver, links_of, read_response
from tests.send.rocks import CASES, Case
from tests.support.dashboard import Trap
from tests.support.pageserver import PageServer
from tests.support.scripted import Scripted, scripted_servers

SOURCE = "https://blog.example/post/1"
XML = {"Content-Type": "text/xml"}


@pytest.fixture
def policy(pages: PageServer) -> FetchPolicy:
    return FetchPolicy(timeout=3, allow=frozenset({pages.hostport}), user_agent="pingsvc-test")


def target_with(pages: PageServer, path: str, head: str = "", **kwargs: object) -> str:
    """A target page at `path` whose <head> holds `head`."""
    return pages.add(path, f"<html><head>{head}</head><body><p>post</p></body></html>", **kwargs)


def form(pages: PageServer, path: str) -> dict[str, list[str]]:
    """The one form POSTed to `path`."""
    posted = pages.posted(path)
    assert len(posted) == 1, [p.path for p in pages.posts]
    return parse_qs(posted[0].body.decode())


def xmlrpc_answer(*values: object, fault: tuple[int, str] | None = None) -> str:
    if fault:
        return xmlrpc.client.dumps(xmlrpc.client.Fault(*fault), methodresponse=True)
    return xmlrpc.client.dumps(values, methodresponse=True)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.number}-{c.title}" for c in CASES])
def test_each_webmention_rocks_case_posts_to_its_endpoint(
    pages: PageServer, policy: FetchPolicy, case: Case
) -> None:
    target = case.serve(pages)
    if case.expected != case.path:  # case 15's endpoint is the page itself
        pages.add(case.expected, "queued", status=202, headers={"Content-Type": "text/plain"})
    before = len(pages.posts)
    delivery = deliver(SOURCE, target, policy)
    assert delivery.status == "accepted", delivery
    assert (delivery.protocol, delivery.endpoint) == ("webmention", case.endpoint(pages))
    sent = pages.posts[before:]
    assert [p.path for p in sent] == [case.expected]  # nothing reached a decoy
    assert parse_qs(sent[0].body.decode()) == {"source": [SOURCE], "target": [target]}
    assert sent[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_the_query_string_stays_in_the_url_and_the_form_in_the_body(
    pages: PageServer, policy: FetchPolicy
) -> None:
    target = target_with(pages, "/send/q", '<link rel="webmention" href="/send/q/wm?key=1&x=y">')
    pages.add("/send/q/wm?key=1&x=y", status=202)
    assert deliver(SOURCE, target, policy).status == "accepted"
    assert form(pages, "/send/q/wm?key=1&x=y") == {"source": [SOURCE], "target": [target]}


def test_the_receivers_status_url_is_kept(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/loc", '<link rel="webmention" href="/send/loc/wm">')
    pages.add(
        "/send/loc/wm",
        '{"summary": "Queued for  processing"}',
        status=201,
        headers={"Location": "/send/status/17", "Content-Type": "application/json"},
    )
    delivery = deliver(SOURCE, target, policy)
    assert delivery == Delivery(
        "accepted",
        "webmention",
        pages.url("/send/loc/wm"),
        201,
        "the endpoint accepted the webmention (201): Queued for processing",
        location=pages.url("/send/status/17"),
    )
    assert pages.posted("/send/loc/wm")[0].headers["User-Agent"] == "pingsvc-test"


def test_a_target_without_endpoints_is_not_supported(
    pages: PageServer, policy: FetchPolicy
) -> None:
    delivery = deliver(SOURCE, target_with(pages, "/send/none", "<title>x</title>"), policy)
    assert delivery.status == "not_supported"
    assert (delivery.protocol, delivery.endpoint) == (None, None)
    assert "no webmention endpoint and no pingback server" in delivery.summary


# The pingback fallback.


def test_pingback_uses_the_x_pingback_header_first(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(
        pages,
        "/send/pb-header",
        '<link rel="pingback" href="/send/pb-header/tag-rpc">',
        headers={"X-Pingback": pages.url("/send/pb-header/rpc")},
    )
    pages.add("/send/pb-header/rpc", xmlrpc_answer("Pingback registered. Thanks!"), headers=XML)
    delivery = deliver(SOURCE, target, policy)
    assert delivery == Delivery(
        "accepted",
        "pingback",
        pages.url("/send/pb-header/rpc"),
        200,
        "Pingback registered. Thanks!",
    )
    call = pages.posted("/send/pb-header/rpc")[0]
    assert xmlrpc.client.loads(call.body) == ((SOURCE, target), "pingback.ping")
    assert call.headers["Content-Type"].startswith("text/xml")
    assert pages.posted("/send/pb-header/tag-rpc") == []


def test_pingback_falls_back_to_the_link_tag(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/pb-tag", '<link rel="pingback" href="/send/pb-tag/rpc">')
    pages.add("/send/pb-tag/rpc", xmlrpc_answer("ok"), headers=XML)
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.protocol) == ("accepted", "pingback")
    assert delivery.endpoint == pages.url("/send/pb-tag/rpc")
    assert xmlrpc.client.loads(pages.posted("/send/pb-tag/rpc")[0].body)[0] == (SOURCE, target)


def test_a_webmention_endpoint_wins_over_pingback(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(
        pages,
        "/send/both",
        '<link rel="pingback" href="/send/both/rpc"><link rel="webmention" href="/send/both/wm">',
        headers={"X-Pingback": pages.url("/send/both/rpc")},
    )
    pages.add("/send/both/wm", status=202)
    assert deliver(SOURCE, target, policy).protocol == "webmention"
    assert pages.posted("/send/both/rpc") == []


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ((0x11, "The source URI does not contain a link to the target URI"), "error"),
        ((0x21, "The specified target URI cannot be used as a target."), "error"),
        ((0x30, "The pingback has already been registered."), "accepted"),
        ((0x32, "Could not reach the source."), "retry"),
    ],
)
def test_pingback_faults_are_recorded_with_code_and_string(
    pages: PageServer, policy: FetchPolicy, fault: tuple[int, str], status: str
) -> None:
    path = f"/send/pb-fault-{fault[0]}"
    target = target_with(pages, path, f'<link rel="pingback" href="{path}/rpc">')
    pages.add(f"{path}/rpc", xmlrpc_answer(fault=fault), headers=XML)
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.protocol, delivery.http_code) == (status, "pingback", 200)
    assert delivery.summary == f"fault {fault[0]}: {fault[1]}"


def test_a_pingback_answer_that_is_not_xml_rpc_is_an_error(
    pages: PageServer, policy: FetchPolicy
) -> None:
    target = target_with(pages, "/send/pb-bad", '<link rel="pingback" href="/send/pb-bad/rpc">')
    pages.add("/send/pb-bad/rpc", "<html>hello</html>")
    delivery = deliver(SOURCE, target, policy)
    assert delivery.status == "error"
    assert "not an XML-RPC response" in delivery.summary


def test_a_pingback_answer_still_coming_at_the_time_limit_is_retried(pages: PageServer) -> None:
    """Cut off mid-reply, it is no proof of a broken server (once an error: "not XML-RPC")."""
    with scripted_servers() as servers:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 9000\r\n\r\n<?xml"
        servers.append(rpc := Scripted(head, b" "))
        target = target_with(pages, "/send/pb-slow", f'<link rel="pingback" href="{rpc.url()}">')
        policy = FetchPolicy(timeout=0.3, allow=frozenset({pages.hostport, rpc.hostport}))
        delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.protocol) == ("retry", "pingback")
    assert delivery.summary == "the pingback server did not answer in time"


def test_xml_rpc_answers_are_read_without_entities() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>'
        b"<methodResponse><params><param><value><string>&a;</string></value></param>"
        b"</params></methodResponse>"
    )
    with pytest.raises(ValueError, match="DOCTYPE"):
        read_response(bomb)
    assert read_response(xmlrpc_answer("fine").encode()) == "fine"
    with pytest.raises(xmlrpc.client.Fault):
        read_response(xmlrpc_answer(fault=(17, "no link")).encode())
    with pytest.raises(ValueError, match="methodResponse"):
        read_response(xmlrpc.client.dumps(("a",), "pingback.ping").encode())


# Retries and errors.


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"Retry-After": "120"}, 120.0),
        (503, {"Retry-After": "7"}, 7.0),
        (500, {}, None),
        (502, {"Retry-After": "soon"}, None),
    ],
)
def test_429_and_5xx_from_the_endpoint_are_retried_after_retry_after(
    pages: PageServer,
    policy: FetchPolicy,
    status: int,
    headers: dict[str, str],
    wait: float | None,
) -> None:
    path = f"/send/busy-{status}"
    target = target_with(pages, path, f'<link rel="webmention" href="{path}/wm">')
    pages.add(f"{path}/wm", "busy", status=status, headers=headers)
    delivery = deliver(SOURCE, target, policy)
    assert delivery == Delivery(
        "retry",
        "webmention",
        pages.url(f"{path}/wm"),
        status,
        f"the endpoint answered {status}",
        retry_after=wait,
    )


def test_a_busy_pingback_server_is_retried(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/pb-busy", '<link rel="pingback" href="/send/pb-busy/rpc">')
    pages.add("/send/pb-busy/rpc", "busy", status=429, headers={"Retry-After": "30"})
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.http_code, delivery.retry_after) == ("retry", 429, 30.0)


def test_a_busy_target_page_is_retried(pages: PageServer, policy: FetchPolicy) -> None:
    target = pages.add("/send/busy-target", "busy", status=503, headers={"Retry-After": "60"})
    delivery = deliver(SOURCE, target, policy)
    assert delivery == Delivery(
        "retry", None, None, 503, "the target returned 503", retry_after=60.0
    )


def test_4xx_is_an_error_with_what_the_endpoint_said(
    pages: PageServer, policy: FetchPolicy
) -> None:
    target = target_with(pages, "/send/bad", '<link rel="webmention" href="/send/bad/wm">')
    pages.add(
        "/send/bad/wm",
        '{"error": "invalid_source", "error_description": "Source does not link to target"}',
        status=400,
        headers={"Content-Type": "application/json"},
    )
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.http_code) == ("error", 400)
    assert delivery.summary == "the endpoint answered 400: Source does not link to target"


def test_a_missing_target_is_an_error(pages: PageServer, policy: FetchPolicy) -> None:
    delivery = deliver(SOURCE, pages.url("/send/no-such-page"), policy)
    assert (delivery.status, delivery.http_code) == ("error", 404)
    assert delivery.summary == "the target returned 404"


def test_a_redirect_that_drops_the_post_is_an_error(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/r302", '<link rel="webmention" href="/send/r302/wm">')
    pages.add("/send/r302/wm", status=302, headers={"Location": "/send/r302/elsewhere"})
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.http_code) == ("error", 302)
    assert "a POST does not follow" in delivery.summary
    assert pages.posted("/send/r302/elsewhere") == []


def test_a_307_redirect_posts_again_to_the_new_endpoint(
    pages: PageServer, policy: FetchPolicy
) -> None:
    target = target_with(pages, "/send/r307", '<link rel="webmention" href="/send/r307/wm">')
    pages.add("/send/r307/wm", status=307, headers={"Location": "/send/r307/moved"})
    pages.add("/send/r307/moved", status=202)
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.endpoint) == ("accepted", pages.url("/send/r307/wm"))
    assert form(pages, "/send/r307/moved") == {"source": [SOURCE], "target": [target]}


def test_a_long_answer_is_cut_not_refused(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/long", '<link rel="webmention" href="/send/long/wm">')
    pages.add("/send/long/wm", "x " * 200_000, status=202, headers={"Content-Type": "text/plain"})
    delivery = deliver(SOURCE, target, policy)
    assert delivery.status == "accepted"
    assert len(delivery.summary) < 400 and delivery.summary.endswith("…")


def test_an_endpoint_that_refuses_connections_is_retried(
    pages: PageServer, policy: FetchPolicy
) -> None:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}/wm"
        target = target_with(pages, "/send/closed", f'<link rel="webmention" href="{endpoint}">')
        allowed = FetchPolicy(timeout=3, allow=frozenset({pages.hostport, f"127.0.0.1:{port}"}))
        delivery = deliver(SOURCE, target, allowed)
    assert (delivery.status, delivery.endpoint) == ("retry", endpoint)
    assert delivery.summary == "could not connect to the endpoint"


# The address guard: a target can't make pingsvc POST to an internal service.


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_endpoint_is_refused_and_never_contacted(pages: PageServer, host: str) -> None:
    with Trap() as trap:
        # The trap's port is allowed as a port, so what refuses it is the address itself.
        policy = FetchPolicy(
            timeout=3, ports=frozenset({80, 443, trap.port}), allow=frozenset({pages.hostport})
        )
        endpoint = f"http://{host}:{trap.port}/internal/admin"
        target = target_with(
            pages, f"/send/trap-{host}", f'<link rel="webmention" href="{endpoint}">'
        )
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert (delivery.status, delivery.protocol, delivery.endpoint) == (
        "error",
        "webmention",
        endpoint,
    )
    assert delivery.summary.startswith(f"refused: the endpoint host '{host}' resolves to")
    assert "a loopback address" in delivery.summary


def test_an_endpoint_on_another_port_is_refused(pages: PageServer, policy: FetchPolicy) -> None:
    with Trap() as trap:
        endpoint = f"http://127.0.0.1:{trap.port}/wm"
        target = target_with(pages, "/send/trap-port", headers={"X-Pingback": endpoint})
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert (delivery.status, delivery.protocol) == ("error", "pingback")
    assert delivery.summary.startswith(f"refused: the endpoint uses port {trap.port}")


def test_a_redirect_from_the_endpoint_to_a_trap_is_refused(
    pages: PageServer, policy: FetchPolicy
) -> None:
    with Trap() as trap:
        target = target_with(
            pages, "/send/r-trap", '<link rel="webmention" href="/send/r-trap/wm">'
        )
        pages.add(
            "/send/r-trap/wm", status=308, headers={"Location": f"http://127.0.0.1:{trap.port}/"}
        )
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert delivery.status == "error" and delivery.summary.startswith("refused: ")


def test_a_target_redirecting_to_a_trap_is_refused(pages: PageServer, policy: FetchPolicy) -> None:
    with Trap() as trap:
        target = pages.add(
            "/send/t-trap", status=302, headers={"Location": f"http://127.0.0.1:{trap.port}/"}
        )
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert (delivery.status, delivery.endpoint) == ("error", None)
    assert delivery.summary.startswith(f"refused: the target uses port {trap.port}")


def test_a_non_http_endpoint_is_an_error(pages: PageServer, policy: FetchPolicy) -> None:
    target = target_with(pages, "/send/ftp", '<link rel="webmention" href="ftp://files.example/">')
    delivery = deliver(SOURCE, target, policy)
    assert delivery.status == "error"
    assert delivery.summary == "the target's webmention endpoint is not an http or https URL"


def test_a_target_page_gets_the_checks_of_a_hostile_page(pages: PageServer) -> None:
    policy = FetchPolicy(timeout=3, max_depth=20, allow=frozenset({pages.hostport}))
    deep = "<div>" * 50 + '<link rel="webmention" href="/send/deep/wm">'
    delivery = deliver(SOURCE, pages.add("/send/deep", deep), policy)
    assert delivery.status == "error"
    assert delivery.summary.startswith("the target (text/html) nests more than 20 levels deep")
    assert pages.posted("/send/deep/wm") == []


def test_an_endpoint_redirecting_to_an_invalid_url_is_an_error(
    pages: PageServer, policy: FetchPolicy
) -> None:
    target = target_with(pages, "/send/r-bad", '<link rel="webmention" href="/send/r-bad/wm">')
    pages.add("/send/r-bad/wm", status=307, headers={"Location": "http://[oops/"})
    delivery = deliver(SOURCE, target, policy)
    assert delivery.status == "error"
    assert delivery.summary.startswith("the endpoint redirected to an invalid URL")


def test_a_posts_links_are_read_in_the_sandbox(pages: PageServer, policy: FetchPolicy) -> None:
    post = fetch(
        pages.add("/send/post", "<main><a href='https://t.example/1'>t</a></main>"), policy
    )
    assert links_of(post, policy) == ["https://t.example/1"]
    deep = fetch(pages.add("/send/deep-post", "<div>" * 50), policy)
    with pytest.raises(HostilePage, match="the post .* nests more than 20 levels"):
        links_of(deep, FetchPolicy(**{**policy.__dict__, "max_depth": 20}))


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A net under the guard: any connection to a non-loopback address fails the test before
    it is made. Returns the names looked up through the fake resolver."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo
    asked: list[str] = []

    def connect(self: socket.socket, address: Any) -> None:
        inet = isinstance(address, tuple)  # not the sandbox's Unix sockets
        if inet and not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            raise AssertionError(f"pingsvc tried to connect to {address[0]}")
        real_connect(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "intranet.example":  # a public-looking name with a private address
            asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.10", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://10.0.0.7/wm", "'10.0.0.7' resolves to a private network address"),
        ("http://172.16.4.2/wm", "'172.16.4.2' resolves to a private network address"),
        ("http://169.254.169.254/latest/meta-data/", "resolves to a link-local address"),
        ("http://[fd00::1]/wm", "'fd00::1' resolves to a private network address"),
        ("http://intranet.example/wm", "'intranet.example' resolves to a private network"),
    ],
)
def test_a_private_endpoint_is_refused_before_any_connection(
    pages: PageServer, policy: FetchPolicy, loopback_only: list[str], endpoint: str, reason: str
) -> None:
    path = f"/send/private-{zlib.crc32(endpoint.encode())}"
    target = target_with(pages, path, f'<link rel="webmention" href="{endpoint}">')
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.endpoint) == ("error", endpoint)
    assert delivery.summary.startswith("refused: the endpoint host ")
    assert reason in delivery.summary


def test_the_net_under_the_guard_catches_a_connection(loopback_only: list[str]) -> None:
    """The control: were the guard broken, the net above would fail those tests."""
    with socket.socket() as sock, pytest.raises(AssertionError, match="10.0.0.7"):
        sock.connect(("10.0.0.7", 80))


def test_an_endpoint_that_does_not_answer_in_time_is_retried(pages: PageServer) -> None:
    policy = FetchPolicy(timeout=0.5, allow=frozenset({pages.hostport}))
    target = target_with(pages, "/send/slow", '<link rel="webmention" href="/send/slow/wm">')
    pages.add("/send/slow/wm", status=202, delay=1.5)
    delivery = deliver(SOURCE, target, policy)
    assert (delivery.status, delivery.endpoint) == ("retry", pages.url("/send/slow/wm"))
    assert delivery.summary == "the endpoint did not answer in time"


# Every spelling of loopback, in every place a target can name an endpoint. The trap's port
# passes the port rule, so only the address check stands between pingsvc and the trap.
SPELLINGS = ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]",
             "[::ffff:7f00:1]", "localhost", "LocalHost"]  # fmt: skip
CARRIERS = {
    "link-header": lambda url: {"headers": {"Link": f"<{url}>; rel=webmention"}},
    "a-tag": lambda url: {"head": f'</head><body><a rel="webmention" href="{url}">wm</a>'},
    "x-pingback": lambda url: {"headers": {"X-Pingback": url}},
}


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
@pytest.mark.parametrize("host", SPELLINGS)
def test_no_spelling_of_loopback_reaches_a_trap_as_an_endpoint(
    pages: PageServer, host: str, carrier: str
) -> None:
    with Trap() as trap:
        policy = FetchPolicy(
            timeout=3, ports=frozenset({80, 443, trap.port}), allow=frozenset({pages.hostport})
        )
        path = f"/send/spell-{carrier}-{zlib.crc32(host.encode())}"
        target = target_with(pages, path, **CARRIERS[carrier](f"http://{host}:{trap.port}/admin"))
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert delivery.status == "error" and delivery.summary.startswith("refused: ")


def test_a_scheme_relative_endpoint_on_loopback_is_refused(pages: PageServer) -> None:
    with Trap() as trap:
        policy = FetchPolicy(
            timeout=3, ports=frozenset({80, 443, trap.port}), allow=frozenset({pages.hostport})
        )
        href = f"//localhost:{trap.port}/admin"
        target = target_with(
            pages, "/send/scheme-relative", f'<link rel="webmention" href="{href}">'
        )
        delivery = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert delivery.endpoint == f"http:{href}" and delivery.summary.startswith("refused: ")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_of_the_target_or_its_endpoint_reaches_a_trap(
    pages: PageServer, status: int
) -> None:
    with Trap() as trap:
        policy = FetchPolicy(
            timeout=3, ports=frozenset({80, 443, trap.port}), allow=frozenset({pages.hostport})
        )
        trap_url = f"http://127.0.0.1:{trap.port}/admin"
        moved = pages.add(f"/send/moved-{status}", status=status, headers={"Location": trap_url})
        via_target = deliver(SOURCE, moved, policy)
        wm = pages.add(f"/send/wm-moved-{status}", status=status, headers={"Location": trap_url})
        target = target_with(
            pages, f"/send/t-moved-{status}", f'<link rel="webmention" href="{wm}">'
        )
        via_endpoint = deliver(SOURCE, target, policy)
        assert trap.connections == 0
    assert via_target.status == "error" and via_target.summary.startswith("refused: ")
    assert via_endpoint.status == "error"
