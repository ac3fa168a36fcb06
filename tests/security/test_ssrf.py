"""Server-side request forgery: every way a sender can point pingsvc at an address it must
not reach is refused before a connection is opened, and the mention's status says why.

Non-loopback ranges are proven on the pure functions only (no test ever connects outside
127.0.0.0/8 and ::1); every fetch path is proven end to end against loopback traps whose
host:port is not in PINGSVC_FETCH_ALLOW, which must see zero connections.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from pingsvc import services
from pingsvc.errors import InvalidSource, RefusedAddress
from pingsvc.fetch.addresses import address_refusal, resolve
from pingsvc.fetch.client import fetch
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.urls import normalize_url, parse_ipv4
from tests.conftest import make_app
from tests.security.conftest import Trap, send_and_verify
from tests.support.pageserver import PageServer

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.0.1", "private"),
    ("192.168.255.255", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.0.1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456:789a::1", "private"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network"),
    ("::", "unspecified"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff05::1:3", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.0.8", "IETF protocol"),
    ("192.0.2.1", "private"),  # documentation (TEST-NET-1)
    ("198.18.0.1", "private"),  # benchmarking
    ("192.88.99.1", "6to4 relay"),
    ("2001:db8::1", "private"),  # documentation
    ("3fff::1", "documentation"),
    ("fec0::1", "site-local"),
    ("5f00::1", "segment routing"),
    ("2001:20::1", "ORCHIDv2"),
    # IPv4 inside IPv6: mapped, compatible, 6to4 and NAT64 forms are judged by the IPv4 inside.
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:7f00:1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::10.0.0.1", "IPv4-compatible"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ("2002:a9fe:a9fe::", "cloud metadata"),  # 6to4 of 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 of 169.254.169.254
    ("64:ff9b::c0a8:1", "private"),  # NAT64 of 192.168.0.1
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    ("2001::1", "private"),  # Teredo
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
          "2002:808:808::", "64:ff9b::808:808"]  # fmt: skip


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_every_non_public_range_is_refused(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and reason in refusal


def test_an_address_with_an_ipv6_zone_is_refused() -> None:
    refusal = address_refusal(ipaddress.ip_address("fe80::1%eth0"))
    assert refusal is not None and "zone" in refusal


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("spelling", "dotted"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7F.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0300.0250.0.1", "192.168.0.1"),
        ("3232235521", "192.168.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("10.1", "10.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
    ],
)
def test_numeric_ipv4_spellings_are_read_as_the_address_they_are(
    spelling: str, dotted: str
) -> None:
    assert parse_ipv4(spelling) == dotted
    assert normalize_url(f"http://{spelling}:8080/p", "source") == f"http://{dotted}:8080/p"


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "08.0.0.1", "0x100000000", "a.12"])
def test_hosts_that_end_in_a_number_but_are_no_address_are_bad_requests(host: str) -> None:
    with pytest.raises(InvalidSource, match="looks like an IPv4 address"):
        normalize_url(f"http://{host}/", "source")


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[str]], list[str]]:
    """Make `name` resolve to the given addresses, in this process only; other names resolve
    as usual. Returns the list of names looked up."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            asked.append(host)
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port))
                for a in answers[host]
            ]  # fmt: skip
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def define(name: str, addresses: list[str]) -> list[str]:
        answers[name] = addresses
        return asked

    return define


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_a_public_looking_name_that_resolves_to_a_forbidden_address_is_refused(
    fake_dns: Callable[[str, list[str]], list[str]], address: str, reason: str
) -> None:
    fake_dns("news.example", [address])
    with pytest.raises(RefusedAddress) as caught:
        resolve("news.example", 443, FetchPolicy())  # resolve only: it never connects
    assert "'news.example' resolves to" in caught.value.reason and reason in caught.value.reason


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    fake_dns: Callable[[str, list[str]], list[str]],
) -> None:
    fake_dns("mixed.example", ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(RefusedAddress, match="private"):
        resolve("mixed.example", 80, FetchPolicy())


def test_a_public_name_is_pinned_to_the_address_that_was_checked(
    fake_dns: Callable[[str, list[str]], list[str]],
) -> None:
    fake_dns("blog.example", ["93.184.215.14", "2606:4700:4700::1111"])
    assert resolve("blog.example", 443, FetchPolicy()) == "93.184.215.14"


def test_other_ports_are_refused_before_the_name_is_even_resolved(
    fake_dns: Callable[[str, list[str]], list[str]],
) -> None:
    asked = fake_dns("public.example", ["93.184.215.14"])
    for port in (22, 25, 6379, 8080, 11211):
        with pytest.raises(RefusedAddress, match=f"port {port}; only ports 80, 443"):
            resolve("public.example", port, FetchPolicy())
    assert asked == []
    assert resolve("public.example", 8080, FetchPolicy(ports=frozenset({80, 443, 8080})))


# End to end, against loopback traps.


@pytest.fixture
def trap_policy(pages: PageServer, trap: Trap) -> FetchPolicy:
    """Allows the page server only; the trap's port passes the port rule, so only the address
    check stands between a fetch and the trap."""
    return FetchPolicy(
        timeout=3,
        ports=frozenset({80, 443, trap.port}),
        allow=frozenset({pages.hostport}),
    )


def test_the_trap_counts_a_connection(trap: Trap) -> None:
    """The control: a trap does see a connection, so 'zero connections' means something."""
    requests.get(trap.url("/"), timeout=3)
    assert trap.connections == 1


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f000001", "127.1", "localhost", "LocalHost"],
)
def test_fetch_refuses_loopback_in_every_spelling(
    trap: Trap, trap_policy: FetchPolicy, host: str
) -> None:
    with pytest.raises(RefusedAddress, match="loopback"):
        fetch(trap.url("/secret", host=host), trap_policy)
    assert trap.connections == 0


def test_fetch_refuses_the_ipv6_loopback(pages: PageServer) -> None:
    trap = Trap("::1")
    try:
        policy = FetchPolicy(ports=frozenset({trap.port}), allow=frozenset({pages.hostport}))
        with pytest.raises(RefusedAddress, match="loopback"):
            fetch(trap.url("/"), policy)
        with pytest.raises(RefusedAddress, match="loopback"):
            fetch(f"http://[::ffff:127.0.0.1]:{trap.port}/", policy)
        assert trap.connections == 0
    finally:
        trap.close()


def test_a_port_outside_80_and_443_is_refused_even_on_an_allowed_address(
    pages: PageServer, trap: Trap
) -> None:
    policy = FetchPolicy(allow=frozenset({pages.hostport}))  # 127.0.0.1, but another port
    with pytest.raises(RefusedAddress, match=f"port {trap.port}"):
        fetch(trap.url("/"), policy)
    assert trap.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/secret",
        "http://2130706433:{port}/secret",
        "http://localhost:{port}/secret",
        "//127.0.0.1:{port}/scheme-relative",
    ],
)
def test_a_redirect_from_an_allowed_page_to_loopback_is_refused(
    pages: PageServer, trap: Trap, trap_policy: FetchPolicy, location: str
) -> None:
    source = pages.add(
        f"/ssrf/redirect/{abs(hash(location))}",
        status=302,
        headers={"Location": location.format(port=trap.port)},
    )
    with pytest.raises(RefusedAddress, match="loopback"):
        fetch(source, trap_policy)
    assert trap.connections == 0
    assert f"/ssrf/redirect/{abs(hash(location))}" in pages.hits  # the allowed hop was taken


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://x/"])
def test_a_redirect_to_another_scheme_is_refused(
    pages: PageServer, trap_policy: FetchPolicy, location: str
) -> None:
    source = pages.add(f"/ssrf/scheme/{location.split(':')[0]}", status=301,
                       headers={"Location": location})  # fmt: skip
    with pytest.raises(RefusedAddress, match="not http or https"):
        fetch(source, trap_policy)


@pytest.fixture
def rebinding(
    monkeypatch: pytest.MonkeyPatch, pages: PageServer
) -> Iterator[tuple[str, Trap, list[str]]]:
    """DNS rebinding on loopback: `rebind.test` resolves to the allowed page server's address
    on the first lookup and to a trap (127.0.0.2, same port, not allowed) on every later one.
    Only that name is patched, only in this process, and only to loopback addresses."""
    trap = Trap("127.0.0.2", pages.port)
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield f"http://rebind.test:{pages.port}", trap, lookups
    trap.close()


def test_dns_rebinding_connects_to_the_address_that_was_checked(
    pages: PageServer, rebinding: tuple[str, Trap, list[str]]
) -> None:
    base, trap, lookups = rebinding
    pages.add("/ssrf/rebind", "<p>the allowed page</p>")
    policy = FetchPolicy(timeout=3, allow=frozenset({pages.hostport}))  # by address
    page = fetch(f"{base}/ssrf/rebind", policy)
    assert page.text == "<p>the allowed page</p>"
    assert lookups == ["rebind.test"]  # resolved once; the connection used that answer
    # The next lookup answers with the trap's address, and that fetch is refused outright.
    with pytest.raises(RefusedAddress, match="loopback"):
        fetch(f"{base}/ssrf/rebind", policy)
    assert trap.connections == 0


def test_a_check_then_connect_guard_would_be_fooled_by_the_same_rebinding(
    pages: PageServer, rebinding: tuple[str, Trap, list[str]]
) -> None:
    """The control for the test above: checking the name and letting requests resolve it
    again reaches the trap, so the rebinding fixture really does rebind."""
    base, trap, _ = rebinding
    checked = resolve("rebind.test", pages.port, FetchPolicy(allow=frozenset({pages.hostport})))
    assert checked == "127.0.0.1"
    requests.get(f"{base}/", timeout=3)
    assert trap.connections == 1


@pytest.fixture
def trap_app(
    settings: dict[str, str], trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    app = make_app({**settings, "PINGSVC_FETCH_PORTS": f"80,443,{trap.port}"}, monkeypatch)
    yield app
    services(app).db.dispose()


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f000001", "localhost", "[::1]"]
)
def test_a_webmention_from_loopback_ends_rejected_saying_why(
    trap_app: Flask, trap: Trap, host: str
) -> None:
    status = send_and_verify(trap_app, trap.url("/post", host=host))
    assert status["status"] == "rejected"
    assert status["error_kind"] == "refused"
    assert "loopback" in status["error"]
    assert trap.connections == 0


def test_a_webmention_redirected_to_loopback_ends_rejected_saying_why(
    trap_app: Flask, trap: Trap, pages: PageServer
) -> None:
    source = pages.add("/ssrf/wm-redirect", status=307, headers={"Location": trap.url("/x")})
    status = send_and_verify(trap_app, source)
    assert status["status"] == "rejected"
    assert "loopback" in status["error"]
    assert trap.connections == 0


def test_a_webmention_on_another_port_ends_rejected_saying_why(app: Flask, trap: Trap) -> None:
    status = send_and_verify(app, trap.url("/post"))
    assert status["status"] == "rejected"
    assert f"port {trap.port}" in status["error"]
    assert trap.connections == 0
