"""Hostile senders: floods from one address or one source domain, oversized bodies, URLs with
control characters, user names, IDN and numeric hosts, XML-RPC bombs, and a flood of the same
ping. Each gets a clear answer (429 with Retry-After, 413, 400 with what to fix, or 201),
never a 500, and the same pair sent a hundred times costs one verification."""

from __future__ import annotations

import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pingsvc import services
from pingsvc.models import Mention, Site
from pingsvc.pipeline import steps
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import wait_for


def _app(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, **extra: str) -> Flask:
    overrides = {f"PINGSVC_{name}": value for name, value in extra.items()}
    return make_app({**settings, "PINGSVC_RATE_LIMIT_ENABLED": "true", **overrides}, monkeypatch)


@pytest.fixture
def limited(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = _app(settings, monkeypatch, RATE_LIMIT="3/minute", RATE_LIMIT_SOURCE="100/minute")
    yield app
    services(app).db.dispose()


def _send(client: FlaskClient, source: str, ip: str = "192.0.2.10", **kw: Any) -> TestResponse:
    return client.post(
        "/webmention",
        data={"source": source, "target": TARGET},
        environ_base={"REMOTE_ADDR": ip},
        **kw,
    )


def _ping(client: FlaskClient, source: str, ip: str = "192.0.2.10") -> TestResponse:
    body = xmlrpc.client.dumps((source, TARGET), "pingback.ping")
    return client.post(
        "/xmlrpc", data=body, content_type="text/xml", environ_base={"REMOTE_ADDR": ip}
    )


def _assert_rate_limited(answer: TestResponse) -> None:
    assert answer.status_code == 429
    assert answer.headers["Retry-After"].isdigit()
    assert int(answer.headers["Retry-After"]) >= 1


def test_one_address_over_its_limit_gets_429_with_retry_after(
    limited: Flask, pages: PageServer
) -> None:
    client = limited.test_client()
    for n in range(3):
        answer = _send(client, pages.url(f"/flood/{n}"))
        assert answer.status_code == 201
        assert "Retry-After" not in answer.headers  # only a 429 says when to come back
    answer = _send(client, pages.url("/flood/4"))
    _assert_rate_limited(answer)
    body = answer.get_json()
    assert body["error"] == "rate_limited"
    assert (
        "Too many requests from this address (at most 3 per 1 minute)" in body["error_description"]
    )
    assert _send(client, pages.url("/flood/5"), ip="192.0.2.11").status_code == 201


def test_bad_requests_and_other_answers_carry_no_retry_after(limited: Flask) -> None:
    client = limited.test_client()
    answer = _send(client, "not a url")
    assert answer.status_code == 400
    assert "Retry-After" not in answer.headers
    assert "Retry-After" not in client.get("/webmention").headers


def test_one_address_over_its_pingback_limit_gets_429_with_retry_after(
    limited: Flask, pages: PageServer
) -> None:
    client = limited.test_client()
    limited.config["PINGBACK_WAIT"] = 0
    for n in range(3):
        assert _ping(client, pages.url(f"/ping-flood/{n}")).status_code == 200
    answer = _ping(client, pages.url("/ping-flood/4"))
    _assert_rate_limited(answer)
    assert b"Too many requests" in answer.data  # an XML-RPC fault a person can read


def _queued_for(app: Flask, host: str) -> list[tuple[str, float]]:
    """Each stored mention from `host`: its source, and how long after its arrival the
    verification is queued to run."""
    with services(app).db.session() as session:
        rows = session.scalars(
            select(Mention).where(Mention.source_host == host).order_by(Mention.id)
        ).all()
        return [(m.source, (m.queued_at - m.received_at).total_seconds()) for m in rows]


def _fault(answer: TestResponse) -> xmlrpc.client.Fault:
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(answer.data)
    return caught.value


def test_a_burst_from_one_source_domain_is_stored_and_verified_at_its_pace(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the domain's pace, across addresses and protocols, mentions are accepted and their
    verification deferred; past its hourly cap, refused: 429 on /webmention, and on /xmlrpc
    the HTTP 200 fault WordPress reads (it never retries a 429)."""
    app = _app(
        settings, monkeypatch,
        RATE_LIMIT="100/minute", RATE_LIMIT_SOURCE="2/minute", RATE_LIMIT_SOURCE_CAP="5/hour",
    )  # fmt: skip
    app.config["PINGBACK_WAIT"] = 0
    client = app.test_client()
    assert _send(client, "https://spam.example/1", ip="192.0.2.1").status_code == 201
    assert _ping(client, "https://SPAM.example./2", ip="192.0.2.2").status_code == 200
    third = _send(client, "https://spam.example/3", ip="192.0.2.3")
    assert third.status_code == 201
    assert "verified in about 60 seconds" in third.get_json()["summary"]
    app.config["PINGBACK_WAIT"] = 600  # a deferred ping does not wait for its verdict
    started = time.monotonic()
    fourth = _ping(client, "http://spam.example/4", ip="192.0.2.4")
    assert time.monotonic() - started < 300  # generous: it answers without waiting the 600 s
    (answer,), _ = xmlrpc.client.loads(fourth.data)
    assert "queued for verification in about 60 seconds" in answer
    assert _send(client, "https://spam.example/5", ip="192.0.2.5").status_code == 201

    queued = _queued_for(app, "spam.example")
    assert [source for source, _ in queued] == [f"https://spam.example/{n}" for n in (1, 2, 3)] + [
        "http://spam.example/4", "https://spam.example/5"
    ]  # fmt: skip
    waits = [wait for _, wait in queued]
    assert waits[0] == waits[1] == 0  # within the pace: at once
    assert 55 <= waits[2] <= 60 and 55 <= waits[3] <= 60  # two a minute: the next minute
    assert 115 <= waits[4] <= 120

    refused = _send(client, "https://spam.example/6", ip="192.0.2.6")
    _assert_rate_limited(refused)
    assert refused.get_json()["error"] == "rate_limited"
    description = refused.get_json()["error_description"]
    assert "Too many mentions from spam.example (at most 5 per 1 hour)" in description
    fault = _fault(_ping(client, "https://spam.example/7", ip="192.0.2.7"))
    assert fault.faultCode == 0
    assert "Too many mentions from spam.example (at most 5 per 1 hour)" in fault.faultString
    assert "Retry-After" not in _ping(client, "https://spam.example/8").headers
    assert len(_queued_for(app, "spam.example")) == 5  # nothing refused was stored

    other = _send(client, "https://other.example/1", ip="192.0.2.3")
    assert other.status_code == 201
    assert _queued_for(app, "other.example")[0][1] == 0


def test_ipv6_senders_are_counted_per_64(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(settings, monkeypatch, RATE_LIMIT="2/minute")
    client = app.test_client()
    assert _send(client, "https://a.example/1", ip="2001:db8:1:2::1").status_code == 201
    assert _send(client, "https://a.example/2", ip="2001:db8:1:2::ffff").status_code == 201
    _assert_rate_limited(_send(client, "https://a.example/3", ip="2001:db8:1:2:abcd::9"))
    assert _send(client, "https://a.example/4", ip="2001:db8:1:3::1").status_code == 201


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(settings, monkeypatch, RATE_LIMIT="1/minute")
    client = app.test_client()
    spoofed = {"X-Forwarded-For": "198.51.100.1"}
    assert _send(client, "https://a.example/1", headers=spoofed).status_code == 201
    spoofed = {"X-Forwarded-For": "198.51.100.2"}  # without a trusted proxy: ignored
    _assert_rate_limited(_send(client, "https://a.example/2", headers=spoofed))

    behind_proxy = {
        "PINGSVC_QUEUE": settings["PINGSVC_QUEUE"] + "-proxy",
        "PINGSVC_VAR_DIR": settings["PINGSVC_VAR_DIR"] + "-proxy",
    }
    app = _app(settings | behind_proxy, monkeypatch, RATE_LIMIT="1/minute", TRUSTED_PROXIES="1")
    client = app.test_client()
    proxy = "127.0.0.1"  # every request arrives from the proxy
    for n, sender in enumerate(["198.51.100.1", "198.51.100.2"]):
        # The client may prepend anything; the proxy appends the address it saw.
        headers = {"X-Forwarded-For": f"10.9.9.9, {sender}"}
        assert _send(client, f"https://b.example/{n}", ip=proxy, headers=headers).status_code == 201
    headers = {"X-Forwarded-For": "10.9.9.9, 198.51.100.1"}
    _assert_rate_limited(_send(client, "https://b.example/9", ip=proxy, headers=headers))


def test_a_body_over_the_limit_gets_413_as_json(client: FlaskClient) -> None:
    answer = client.post(
        "/webmention",
        data={"source": "https://a.example/" + "x" * 70_000, "target": TARGET},
    )
    assert answer.status_code == 413
    body = answer.get_json()
    assert body["error"] == "request_too_large"
    assert "larger than 65536 bytes" in body["error_description"]


def test_a_pingback_over_the_limit_is_a_fault_not_a_crash(client: FlaskClient) -> None:
    body = xmlrpc.client.dumps(("https://a.example/" + "x" * 70_000, TARGET), "pingback.ping")
    answer = client.post("/xmlrpc", data=body, content_type="text/xml")
    assert answer.status_code in (200, 413)
    assert b"larger than 65536 bytes" in answer.data


BAD_URLS = [
    ("https://a.example/\x00post", "control characters"),
    ("https://a.example/po\nst", "control characters"),
    ("https://a.example/\x7f", "control characters"),
    ("https://a.example/a b", "spaces or control characters"),
    ("https://user:secret@a.example/post", "user name or password"),
    ("https://user@a.example/post", "user name or password"),
    ("https://a.example\\@127.0.0.1/", "user name or password"),
    ("javascript:alert(1)//https://a.example/", "absolute http:// or https:// URL"),
    ("data:text/html,<script>alert(1)</script>", "absolute http:// or https:// URL"),
    ("file:///etc/passwd", "absolute http:// or https:// URL"),
    ("//a.example/post", "absolute http:// or https:// URL"),
    ("/post", "absolute http:// or https:// URL"),
    ("https:///post", "no host name"),
    ("https://a.example:99999/", "could not be parsed"),
    ("https://[::1/", "could not be parsed"),
    ("https://1.2.3.4.5/", "looks like an IPv4 address"),
    # IPvFuture: urlsplit takes it and hands back "v1.x", which must not become a DNS name.
    ("http://[v1.x]/", "IPvFuture literals such as [v1.x] are not supported"),
    ("https://[v7.127.0.0.1]/post", "is not an IPv6 address"),
    ("https://a%2eexample/", "letters, digits, hyphens and dots"),
    ("https://a_example\u2028.com/", "not a valid domain name"),
    ("https://xn--a.example/" + "x" * 2100, "longer than 2048 characters"),
    ("https://" + "a" * 64 + ".example/", "longer than 63 characters"),
    ("https://exa\u00admple.com\u0000/", "control characters"),
]


@pytest.mark.parametrize(("source", "message"), BAD_URLS)
def test_malformed_source_urls_get_a_400_saying_what_to_fix(
    client: FlaskClient, source: str, message: str
) -> None:
    answer = client.post("/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 400, answer.get_json()
    body = answer.get_json()
    assert body["error"] == "invalid_source"
    assert message in body["error_description"]


@pytest.mark.parametrize(
    ("source", "stored"),
    [
        ("https://bücher.example/post", "https://xn--bcher-kva.example/post"),
        ("https://xn--bcher-kva.example/post", "https://xn--bcher-kva.example/post"),
        ("https://BÜCHER.example./post", "https://xn--bcher-kva.example/post"),
        ("https://例え.テスト/post", "https://xn--r8jz45g.xn--zckzah/post"),
        ("https://a.example/päth?q=ü#frag", "https://a.example/päth?q=ü#frag"),
        ("https://0x7f000001/post", "https://127.0.0.1/post"),  # accepted, refused by fetch
    ],
)
def test_idn_punycode_and_numeric_hosts_are_accepted_in_normal_form(
    client: FlaskClient, source: str, stored: str
) -> None:
    answer = client.post("/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["source"] == stored


def test_an_idn_target_finds_its_punycode_site(app: Flask, client: FlaskClient) -> None:
    with services(app).db.session() as session:
        session.add(Site(host="xn--blg-tna.example"))
        session.commit()
    answer = client.post(
        "/webmention", data={"source": "https://a.example/1", "target": "https://BLÖG.example/p"}
    )
    assert answer.status_code == 201
    assert answer.get_json()["target"] == "https://xn--blg-tna.example/p"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><methodCall>'
        b"<methodName>pingback.ping</methodName><params><param><value><string>&c;</string>"
        b"</value></param></params></methodCall>",
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><methodCall/>',
        b"<methodCall><methodName>pingback.ping</methodName><params><param><value>"
        + b"<array><data><value>" * 5000
        + b"</value></data></array>" * 5000
        + b"</value></param></params></methodCall>",
        b"<methodCall><methodName>x</methodName><params>"
        + b"<param><value><string>a</string></value></param>" * 1000
        + b"</params></methodCall>",
        b"\x00\xff\xfe not xml",
    ],
)
def test_xmlrpc_payload_bombs_are_refused_with_a_fault(client: FlaskClient, body: bytes) -> None:
    answer = client.post("/xmlrpc", data=body, content_type="text/xml")
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(answer.data)
    assert fault.value.faultString


# A flood of the same pair.


def _queued_messages(app: Flask) -> int:
    folder = Path(app.config["VAR_DIR"]) / "queue"
    return len(list(folder.glob(f"*.{app.config['QUEUE']}.msg")))


def test_a_flood_of_the_same_ping_coalesces_into_one_verification(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    source = pages.add("/flood/same", f'<p><a href="{TARGET}">hi</a></p>')
    locations = set()
    for _ in range(50):
        answer = client.post("/webmention", data={"source": source, "target": TARGET})
        assert answer.status_code == 201
        locations.add(answer.headers["Location"])
    assert len(locations) == 1
    assert _queued_messages(app) == 1  # one message on the real (embedded) broker
    with services(app).db.session() as session:
        assert session.query(Mention).count() == 1


def test_a_resend_during_verification_is_verified_again_not_lost(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    """The author fixes the page and re-sends while the first verification is reading the old
    page: the first ends rejected, and the re-send's own verification approves it."""
    path = "/flood/fixed-later"
    source = pages.add(path, "<p>no link yet</p>", delay=1.0)
    first = client.post("/webmention", data={"source": source, "target": TARGET})
    mention_id = int(first.headers["Location"].rsplit("/", 1)[1])
    shared = services(app)
    outcomes: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcomes.append(
            steps.process_mention(shared.db, mention_id, shared.pipeline)
        )
    )
    hits_before = pages.hits.count(path)
    worker.start()
    assert wait_for(lambda: pages.hits.count(path) > hits_before, 10)  # reading the old page
    pages.add(path, f'<p>now with <a href="{TARGET}">a link</a></p>')
    again = client.post("/webmention", data={"source": source, "target": TARGET})
    assert again.status_code == 201
    worker.join()
    assert outcomes[0].status == "rejected"
    status = client.get(f"/webmention/status/{mention_id}").get_json()
    assert status["status"] == "pending"  # still queued for the re-send
    assert _queued_messages(app) == 2  # the first send and the re-send: nothing coalesced away
    outcome = steps.process_mention(shared.db, mention_id, shared.pipeline)
    assert outcome is not None and outcome.status == "approved"
    assert client.get(f"/webmention/status/{mention_id}").get_json()["status"] == "approved"
