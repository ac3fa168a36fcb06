"""POST /xmlrpc: XML-RPC parsing behind defusedxml, the Pingback 1.0 answers and fault codes,
introspection and multicall; in process for the protocol, against `pingsvc serve` (granian and a
real worker) with xmlrpc.client.ServerProxy and a real pingback sender for the verdicts."""

from __future__ import annotations

import html
import os
import socket
import subprocess
import sys
import tracemalloc
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from xmlrpc.client import Fault, ServerProxy

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import errors, services
from pingsvc.models import BlockRule, Mention, Site, utcnow
from pingsvc.receive.accept import Accepted
from pingsvc.receive.pingback import answer
from pingsvc.receive.xmlrpc import MULTICALL_MAX, to_fault
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import Process, start_serve, start_worker, wait_for

LINKING = """<!doctype html><html><head><title>Movie Review – Her | Fernby Films</title></head>
<body><article><p>As Bob wrote in <a href="{target}">his post</a>, Her is about loneliness.</p>
</article></body></html>"""
NOT_LINKING = "<html><head><title>Elsewhere</title></head><body><p>No link here.</p></body></html>"


def call_xml(name: str, *params: Any) -> bytes:
    return xmlrpc.client.dumps(params, name).encode()


def post(client: FlaskClient, body: bytes, content_type: str = "text/xml") -> Any:
    """POST a raw body; check the XML-RPC envelope and return the result (a Fault is raised)."""
    response = client.post("/xmlrpc", data=body, content_type=content_type)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    (result,), _method = xmlrpc.client.loads(response.data)
    return result


def rpc(client: FlaskClient, name: str, *params: Any) -> Any:
    return post(client, call_xml(name, *params))


def fault_of(client: FlaskClient, body: bytes, content_type: str = "text/xml") -> Fault:
    with pytest.raises(Fault) as caught:
        post(client, body, content_type)
    return caught.value


def mentions(app: Flask) -> list[Mention]:
    with services(app).db.session() as session:
        return list(session.scalars(select(Mention).order_by(Mention.id)))


@pytest.fixture
def quick(app: Flask) -> Flask:
    """No worker runs here: answer "queued" at once instead of waiting for a verdict."""
    app.config["PINGBACK_WAIT"] = 0
    return app


# The protocol, in process.


def test_list_methods_names_every_method(client: FlaskClient) -> None:
    assert rpc(client, "system.listMethods") == [
        "pingback.extensions.getPingbacks",
        "pingback.ping",
        "system.listMethods",
        "system.methodHelp",
        "system.methodSignature",
        "system.multicall",
    ]


def test_method_help_and_signature_describe_a_method(client: FlaskClient) -> None:
    assert "17 (no link to the target)" in rpc(client, "system.methodHelp", "pingback.ping")
    assert rpc(client, "system.methodSignature", "pingback.ping") == [
        ["string", "string", "string"]
    ]
    assert rpc(client, "system.methodSignature", "system.listMethods") == [["array"]]


def test_help_on_an_unknown_method_is_an_invalid_parameter(client: FlaskClient) -> None:
    fault = fault_of(client, call_xml("system.methodHelp", "pingback.pong"))
    assert fault.faultCode == -32602
    assert "no method 'pingback.pong'" in fault.faultString


def test_unknown_method_is_fault_minus_32601(client: FlaskClient) -> None:
    fault = fault_of(client, call_xml("pingback.pong", "a", "b"))
    assert fault.faultCode == -32601
    assert "system.listMethods" in fault.faultString


@pytest.mark.parametrize(
    ("params", "hint"),
    [
        ((), "takes 2 parameters (string, string)"),
        (("https://alice.example/",), "takes 2 parameters"),
        (("https://alice.example/", TARGET, "extra"), "takes 2 parameters"),
        ((42, TARGET), "Parameter 1 of pingback.ping must be a string"),
        (("https://alice.example/", ["x"]), "Parameter 2 of pingback.ping must be a string"),
    ],
)
def test_wrong_parameters_are_fault_minus_32602(
    client: FlaskClient, params: tuple[Any, ...], hint: str
) -> None:
    fault = fault_of(client, call_xml("pingback.ping", *params))
    assert fault.faultCode == -32602
    assert hint in fault.faultString


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"source=https://alice.example/&target=https://blog.example/post/1",
        b"<methodCall><methodName>pingback.ping</methodName><params>",
        b"<methodCall><methodName>a</methodName></methodCall><second/>",
    ],
    ids=["empty", "form-fields", "truncated", "two-roots"],
)
def test_malformed_xml_is_fault_minus_32700(client: FlaskClient, body: bytes) -> None:
    fault = fault_of(client, body)
    assert fault.faultCode == -32700
    assert "not well-formed XML" in fault.faultString


@pytest.mark.parametrize(
    "body",
    [
        xmlrpc.client.dumps(("a result",), methodresponse=True).encode(),
        b"<methodCall><methodName>system.listMethods</methodName><params><param><value>"
        b"<int>twelve</int></value></param></params></methodCall>",
    ],
    ids=["a-response", "bad-int"],
)
def test_well_formed_xml_that_is_not_a_call_is_fault_minus_32600(
    client: FlaskClient, body: bytes
) -> None:
    assert fault_of(client, body).faultCode == -32600


def _struct_call(members: bytes) -> bytes:
    return (
        b"<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params>"
        b"<param><value><array><data><value><struct>" + members + b"</struct></value>"
        b"</data></array></value></param></params></methodCall>"
    )


@pytest.mark.parametrize(
    "members",
    [
        b"<member><name>methodName</name></member>",
        b"<member><name>methodName</name></member><member><name>params</name></member>",
        b"<member><value><string>system.listMethods</string></value></member>",
        b"<member></member>",
    ],
    ids=["name-only", "two-names", "value-only", "empty"],
)
def test_a_struct_member_without_name_or_value_is_fault_minus_32600(
    client: FlaskClient, members: bytes
) -> None:
    fault = fault_of(client, _struct_call(members))  # HTTP 200 and an XML-RPC fault
    assert fault.faultCode == -32600
    assert "each <member> of a <struct> needs one <name> and one <value>" in fault.faultString


def test_a_well_formed_struct_is_still_read(client: FlaskClient) -> None:
    members = (
        b"<member><name>methodName</name><value><string>system.listMethods</string></value>"
        b"</member><member><name>params</name><value><array><data/></array></value></member>"
    )
    (result,) = post(client, _struct_call(members))
    assert "pingback.ping" in result[0]


def test_an_unknown_encoding_is_fault_minus_32701(client: FlaskClient) -> None:
    body = (
        b"<?xml version='1.0' encoding='bogus'?><methodCall>"
        b"<methodName>system.listMethods</methodName></methodCall>"
    )
    fault = fault_of(client, body)  # HTTP 200 and an XML-RPC fault
    assert fault.faultCode == -32701
    assert "encoding Python does not know (unknown encoding: bogus); send UTF-8" in (
        fault.faultString
    )


def test_a_call_without_params_element_has_no_parameters(client: FlaskClient) -> None:
    body = (
        b"<?xml version='1.0'?><methodCall><methodName>system.listMethods</methodName></methodCall>"
    )
    assert "pingback.ping" in post(client, body)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&lol9;</string></value></param>
<param><value><string>https://blog.example/post/1</string></value></param>
</params></methodCall>"""


def test_billion_laughs_is_refused_with_memory_bounded(client: FlaskClient) -> None:
    tracemalloc.start()
    try:
        fault = fault_of(client, BILLION_LAUGHS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fault.faultCode == -32700
    assert "DOCTYPE or entity declarations" in fault.faultString
    assert peak < 2 * 1024 * 1024  # expanded, &lol9; alone would be 3 GB


@pytest.fixture
def trap() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 whose port is not in FETCH_ALLOW: nothing may connect."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connections_to(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE m [<!ENTITY ext SYSTEM "http://127.0.0.1:{port}/secret">]>',
        '<!DOCTYPE m [<!ENTITY ext SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;]>',
        '<!DOCTYPE m SYSTEM "http://127.0.0.1:{port}/m.dtd">',
    ],
    ids=["http-entity", "file-entity", "parameter-entity", "external-dtd"],
)
def test_external_entities_are_refused_without_fetching_anything(
    client: FlaskClient, trap: socket.socket, doctype: str
) -> None:
    port = trap.getsockname()[1]
    body = (
        f"<?xml version='1.0'?>{doctype.format(port=port)}<methodCall><methodName>"
        "system.methodHelp</methodName><params><param><value><string>&ext;</string></value>"
        "</param></params></methodCall>"
    ).encode()
    fault = fault_of(client, body)
    assert fault.faultCode == -32700
    assert "root:" not in fault.faultString
    assert connections_to(trap) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml",
        "text/xml; charset=utf-8",
        "application/xml",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "",
    ],
)
def test_the_body_is_read_as_xml_rpc_whatever_the_content_type(
    quick: Flask, content_type: str
) -> None:
    source = "https://alice.example/about-bob"
    body = call_xml("pingback.ping", source, TARGET)
    result = post(quick.test_client(), body, content_type)
    assert result.startswith(f"Pingback from {source} to {TARGET} received; it is queued")
    (stored,) = mentions(quick)
    assert (stored.source, stored.target, stored.protocol) == (source, TARGET, "pingback")


def test_a_ping_answers_with_its_status_url_when_the_verdict_is_not_in(quick: Flask) -> None:
    result = rpc(quick.test_client(), "pingback.ping", "https://alice.example/", TARGET)
    (stored,) = mentions(quick)
    assert result.endswith(f"Status: http://127.0.0.1:8080/webmention/status/{stored.id}")
    status = quick.test_client().get(f"/webmention/status/{stored.id}").get_json()
    assert (status["status"], status["protocol"]) == ("pending", "pingback")


@pytest.mark.parametrize(
    ("source", "target", "code", "hint"),
    [
        ("https://alice.example/", "https://elsewhere.example/post", 33, "not a site"),
        ("https://alice.example/", "ftp://blog.example/post/1", 33, "http:// or https://"),
        ("https://alice.example/", "", 33, "target parameter is missing"),
        ("gopher://alice.example/", TARGET, 16, "http:// or https://"),
        (TARGET + "#comments", TARGET, 16, "same page"),
    ],
)
def test_requests_refused_before_verification_carry_their_fault(
    quick: Flask, source: str, target: str, code: int, hint: str
) -> None:
    fault = fault_of(quick.test_client(), call_xml("pingback.ping", source, target))
    assert (fault.faultCode, hint in fault.faultString) == (code, True)
    assert mentions(quick) == []


def test_a_blocked_source_is_fault_49_access_denied(quick: Flask) -> None:
    with services(quick).db.session() as session:
        session.add(BlockRule(site_id=None, kind="domain", value="spam.example"))
        session.commit()
    body = call_xml("pingback.ping", "https://www.spam.example/casino", TARGET)
    fault = fault_of(quick.test_client(), body)
    assert fault.faultCode == 49
    assert "not accepted" in fault.faultString
    assert mentions(quick) == []


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("not_found", 16),
        ("gone", 16),
        ("refused", 16),
        ("unreadable", 16),
        ("no_link", 17),
        ("target_not_found", 32),
        ("hostile", 50),
        ("upstream", 50),
        (None, 0),
    ],
)
def test_a_failed_verification_answers_the_fault_of_its_kind(kind: str | None, code: int) -> None:
    accepted = Accepted(7, "https://alice.example/", TARGET, True)
    mention = Mention(status="rejected", error="the target returned 404", error_kind=kind)
    mention.queued_at = None
    with pytest.raises(Fault) as caught:
        answer(accepted, mention, None, utcnow())
    assert caught.value.faultCode == code
    assert caught.value.faultString == "The target returned 404."


@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (errors.InvalidSource("Bad source."), 16, "Bad source."),
        (errors.InvalidTarget("Bad target."), 33, "Bad target."),
        (errors.TargetNotSupported("x.example is not here."), 33, "x.example is not here."),
        (errors.Blocked("Blocked."), 49, "Blocked."),
        (errors.SourceGone("the source returned 410 Gone"), 16, "The source returned 410 Gone."),
        (errors.TransientFetchError("the source returned 503"), 50, "The source returned 503."),
    ],
)
def test_to_fault_translates_every_refusal_by_its_fault_code(
    exc: errors.PingError | errors.FetchError, code: int, text: str
) -> None:
    fault = to_fault(exc)
    assert (fault.faultCode, fault.faultString) == (code, text)


def test_a_retry_scheduled_past_the_wait_is_fault_50(app: Flask) -> None:
    accepted_at = utcnow()
    accepted = Accepted(7, "https://alice.example/", TARGET, True)
    retrying = Mention(status="pending", error="the source returned 503", error_kind="upstream")
    retrying.queued_at = accepted_at + timedelta(seconds=30)
    with app.test_request_context(), pytest.raises(Fault) as caught:
        answer(accepted, retrying, None, accepted_at)
    assert caught.value.faultCode == 50
    assert caught.value.faultString.endswith("Status: http://127.0.0.1:8080/webmention/status/7")
    # The same kind left over from an earlier verdict, before this ping's try: still queued.
    retrying.queued_at = accepted_at
    with app.test_request_context():
        assert "queued for verification" in answer(accepted, retrying, None, accepted_at)


def test_multicall_answers_each_call_good_or_bad(quick: Flask) -> None:
    calls = [
        {"methodName": "system.listMethods", "params": []},
        {"methodName": "pingback.ping", "params": ["https://alice.example/", TARGET]},
        {"methodName": "pingback.ping", "params": ["https://alice.example/", "https://x.example/"]},
        {"methodName": "pingback.pong", "params": []},
        {"methodName": "system.methodHelp", "params": []},
        {"methodName": "system.multicall", "params": [[]]},
        {"params": []},
        "not a struct",
        {"methodName": "pingback.extensions.getPingbacks", "params": [TARGET]},
    ]
    results = rpc(quick.test_client(), "system.multicall", calls)
    assert len(results) == len(calls)
    assert "pingback.ping" in results[0][0]
    assert results[1][0].startswith("Pingback from https://alice.example/ to")
    faults = [(r["faultCode"], r["faultString"]) for r in results[2:8]]
    assert [code for code, _ in faults] == [33, -32601, -32602, -32600, -32602, -32602]
    assert "cannot be called inside system.multicall" in faults[3][1]
    assert results[8] == [[]]  # no approved mention yet: the ping above is still queued
    assert len(mentions(quick)) == 1


def test_multicall_refuses_more_calls_than_it_takes(client: FlaskClient) -> None:
    calls = [{"methodName": "system.listMethods", "params": []}] * (MULTICALL_MAX + 1)
    fault = fault_of(client, call_xml("system.multicall", calls))
    assert fault.faultCode == -32602
    assert f"at most {MULTICALL_MAX} calls" in fault.faultString


def test_get_pingbacks_of_a_target_on_no_registered_site_is_fault_33(client: FlaskClient) -> None:
    fault = fault_of(client, call_xml("pingback.extensions.getPingbacks", "https://x.example/"))
    assert fault.faultCode == 33


def test_a_body_over_the_size_limit_gets_a_fault_not_a_bare_413(client: FlaskClient) -> None:
    body = call_xml("system.methodHelp", "x" * 70_000)
    fault = fault_of(client, body)
    assert fault.faultCode == -32300
    assert "larger than 65536 bytes" in fault.faultString


def test_a_compressed_body_gets_a_fault_asking_for_plain_xml(client: FlaskClient) -> None:
    response = client.post(
        "/xmlrpc",
        data=call_xml("system.listMethods"),
        headers={"Content-Type": "text/xml", "Content-Encoding": "gzip"},
    )
    with pytest.raises(Fault) as caught:
        xmlrpc.client.loads(response.data)
    assert caught.value.faultCode == -32700
    assert "uncompressed" in caught.value.faultString


def test_an_unexpected_error_is_a_fault_not_a_500(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("pingsvc.receive.pingback.find_site", broken)
    fault = fault_of(client, call_xml("pingback.extensions.getPingbacks", TARGET))
    assert fault.faultCode == -32500
    assert "try again later" in fault.faultString
    assert "pingback.ping" in rpc(client, "system.listMethods")


def test_a_get_explains_that_the_endpoint_takes_posts(client: FlaskClient) -> None:
    response = client.get("/xmlrpc")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "POST an XML-RPC methodCall" in response.get_json()["error_description"]


def test_rate_limit_counts_each_call_of_a_multicall(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = {**settings, "PINGSVC_RATE_LIMIT_ENABLED": "true", "PINGSVC_RATE_LIMIT": "5/minute"}
    client = make_app(limited, monkeypatch).test_client()
    four = [{"methodName": "system.listMethods", "params": []}] * 4
    assert len(rpc(client, "system.multicall", four)) == 4
    assert "pingback.ping" in rpc(client, "system.listMethods")  # the fifth call
    response = client.post("/xmlrpc", data=call_xml("system.listMethods"))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/xml"
    with pytest.raises(Fault) as caught:
        xmlrpc.client.loads(response.data)
    assert "Too many requests" in caught.value.faultString


def test_a_multicall_refused_for_its_size_spends_nothing_of_the_rate_limit(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = {**settings, "PINGSVC_RATE_LIMIT_ENABLED": "true", "PINGSVC_RATE_LIMIT": "5/minute"}
    client = make_app(limited, monkeypatch).test_client()
    too_many = [{"methodName": "system.listMethods", "params": []}] * (MULTICALL_MAX + 1)
    for _ in range(3):
        assert fault_of(client, call_xml("system.multicall", too_many)).faultCode == -32602
    for _ in range(5):  # the whole allowance is left
        assert "pingback.ping" in rpc(client, "system.listMethods")
    assert client.post("/xmlrpc", data=call_xml("system.listMethods")).status_code == 429


def test_each_ping_of_a_multicall_counts_against_its_source_domain(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same pace and cap as lone pings: two verified at once, two deferred, then refused."""
    limited = {
        **settings,
        "PINGSVC_RATE_LIMIT_ENABLED": "true",
        "PINGSVC_RATE_LIMIT_SOURCE": "2/minute",
        "PINGSVC_RATE_LIMIT_SOURCE_CAP": "5/hour",
    }
    app = make_app(limited, monkeypatch)
    app.config["PINGBACK_WAIT"] = 0
    client = app.test_client()
    assert "queued for verification. Status" in rpc(
        client, "pingback.ping", "https://spam.example/0", TARGET
    )
    pings = [
        {"methodName": "pingback.ping", "params": [f"https://spam.example/{n}", TARGET]}
        for n in range(1, 7)
    ]
    results = rpc(client, "system.multicall", pings)
    assert "queued for verification. Status" in results[0][0]
    assert all("verification in about 60 seconds" in r[0] for r in results[1:3])
    assert "verification in about 120 seconds" in results[3][0]
    for refused in results[4:]:
        assert refused["faultCode"] == 0
        assert (
            "Too many mentions from spam.example (at most 5 per 1 hour)" in (refused["faultString"])
        )
    assert len(mentions(app)) == 5  # the refused ones were not stored
    fault = fault_of(client, call_xml("pingback.ping", "https://spam.example/9", TARGET))
    assert fault.faultCode == 0  # a lone call after the batch: the same cap


def test_the_service_pages_advertise_the_pingback_endpoint(client: FlaskClient) -> None:
    home = client.get("/")
    assert home.headers["X-Pingback"] == "http://127.0.0.1:8080/xmlrpc"
    tag = '<link rel="pingback" href="http://127.0.0.1:8080/xmlrpc">'
    assert tag in home.text  # in its own <head>
    assert html.unescape(home.text).count(tag) == 2  # and shown, to paste into a blog's


# Verdicts: `pingsvc serve` (granian and a real worker), shared by the tests below. The app
# in this process uses the same database and queue, so the served worker verifies its pings too.


@dataclass
class Live:
    app: Flask
    base: str
    serve: Process

    def client(self, wait: float = 20.0) -> FlaskClient:
        """A test client whose pings wait up to `wait` s (they answer as soon as the verdict
        is in; the long default only keeps a slow machine from turning verdicts into "queued")."""
        self.app.config["PINGBACK_WAIT"] = wait
        return self.app.test_client()

    def proxy(self) -> ServerProxy:
        return ServerProxy(f"{self.base}/xmlrpc")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, pages: PageServer) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("pingback-live")
    settings = {
        "PINGSVC_VAR_DIR": str(folder / "var"),
        "PINGSVC_FETCH_ALLOW": pages.hostport,
        "PINGSVC_RATE_LIMIT_ENABLED": "false",
        "PINGSVC_FETCH_TIMEOUT": "3",
        "PINGSVC_FETCH_MAX_BYTES": "20000",
        # Retries come long after any wait here, so "still retrying" is certain, not a race.
        "PINGSVC_VERIFY_BACKOFF": "60",
        "PINGSVC_SWEEP_AFTER": "120",
        "PINGSVC_LOG_LEVEL": "WARNING",
        "PINGSVC_QUEUE": f"pingsvc-test-pingback-{os.getpid()}",
    }
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(settings, monkeypatch)  # also registers blog.example
        with services(app).db.session() as session:
            session.add_all([Site(host="held.example", policy="hold_all"), Site(host="localhost")])
            session.commit()
        serve, base = start_serve(settings, folder / "serve.log")
        try:
            yield Live(app, base, serve)
        finally:
            serve.stop()
            services(app).db.dispose()


@pytest.mark.integration
def test_an_approved_ping_is_registered_and_listed_like_wordpress(
    live: Live, pages: PageServer
) -> None:
    source = pages.add("/pb/approved.html", LINKING.format(target=TARGET))
    client = live.client()
    result = rpc(client, "pingback.ping", source, TARGET)
    assert result == f"Pingback from {source} to {TARGET} registered. Keep the web talking! :-)"
    feed = client.get("/api/mentions.jf2", query_string={"target": TARGET}).get_json()
    (entry,) = [child for child in feed["children"] if child["wm-source"] == source]
    assert entry["wm-protocol"] == "pingback"
    assert entry["name"] == "Movie Review – Her"
    assert "Her is about loneliness" in entry["content"]["text"]


@pytest.mark.integration
def test_a_ping_held_for_moderation_is_registered(live: Live, pages: PageServer) -> None:
    target = "https://held.example/post/2"
    source = pages.add("/pb/held.html", LINKING.format(target=target))
    result = rpc(live.client(), "pingback.ping", source, target)
    assert result.startswith(f"Pingback from {source} to {target} registered;")
    assert "once the site's owner approves it" in result


@pytest.mark.integration
@pytest.mark.parametrize(("status", "path"), [(404, "/pb/missing.html"), (410, "/pb/gone.html")])
def test_a_source_that_does_not_exist_is_fault_16(
    live: Live, pages: PageServer, status: int, path: str
) -> None:
    source = pages.add(path, "<h1>No such page</h1>", status=status)
    fault = fault_of(live.client(), call_xml("pingback.ping", source, TARGET))
    assert fault.faultCode == 16
    assert str(status) in fault.faultString


@pytest.mark.integration
def test_a_source_without_the_link_is_fault_17(live: Live, pages: PageServer) -> None:
    source = pages.add("/pb/nolink.html", NOT_LINKING)
    fault = fault_of(live.client(), call_xml("pingback.ping", source, TARGET))
    assert fault.faultCode == 17
    assert fault.faultString == "The source page does not link to the target."


@pytest.mark.integration
def test_pinging_an_unchanged_approved_pair_again_is_fault_48(
    live: Live, pages: PageServer
) -> None:
    target = "https://blog.example/post/48"
    source = pages.add("/pb/twice.html", LINKING.format(target=target))
    client = live.client()
    assert "registered" in rpc(client, "pingback.ping", source, target)
    fault = fault_of(client, call_xml("pingback.ping", source, target))
    assert fault.faultCode == 48
    assert "already registered" in fault.faultString
    # Once the source changes, pinging again registers the update.
    pages.add("/pb/twice.html", LINKING.format(target=target).replace("loneliness", "love"))
    assert "registered" in rpc(client, "pingback.ping", source, target)


@pytest.mark.integration
def test_a_ping_from_a_url_that_redirects_to_a_mentioned_post_is_registered_and_listed(
    live: Live, pages: PageServer
) -> None:
    """The post was mentioned by a webmention from its final URL; WordPress then pings from the
    URL that redirects to it: a valid ping, registered, and listed under the URL it used."""
    target = "https://blog.example/post/moved"
    final = pages.add("/pb/moved/final.html", LINKING.format(target=target))
    old = pages.add("/pb/moved/old", status=301, headers={"Location": final})
    client = live.client()
    sent = client.post("/webmention", data={"source": final, "target": target})
    status_path = sent.headers["Location"].split("/", 3)[3]
    assert wait_for(lambda: client.get(f"/{status_path}").get_json()["status"] == "approved", 30)
    result = rpc(client, "pingback.ping", old, target)
    assert result.startswith(f"Pingback from {old} to {target} registered; it is the same post")
    assert rpc(client, "pingback.extensions.getPingbacks", target) == [final, old]
    fault = fault_of(client, call_xml("pingback.ping", old, target))  # sent again, unchanged
    assert fault.faultCode == 48
    assert "already registered" in fault.faultString
    feed = client.get("/api/mentions.jf2", query_string={"target": target}).get_json()
    assert [entry["wm-source"] for entry in feed["children"]] == [final]  # shown once


@pytest.mark.integration
def test_a_source_too_large_to_read_is_fault_50(live: Live, pages: PageServer) -> None:
    huge = LINKING.format(target=TARGET).replace("</article>", "<p>x</p>" * 5000 + "</article>")
    source = pages.add("/pb/huge.html", huge)
    fault = fault_of(live.client(), call_xml("pingback.ping", source, TARGET))
    assert fault.faultCode == 50
    assert "byte limit" in fault.faultString


@pytest.mark.integration
def test_a_source_still_failing_when_the_wait_ends_is_fault_50(
    live: Live, pages: PageServer
) -> None:
    source = pages.add("/pb/unavailable.html", "<h1>Busy</h1>", status=503)
    fault = fault_of(live.client(), call_xml("pingback.ping", source, TARGET))
    assert fault.faultCode == 50
    assert "returned 503" in fault.faultString
    assert "tries again later" in fault.faultString


@pytest.mark.integration
def test_a_verdict_slower_than_the_wait_is_answered_queued_then_comes(
    live: Live, pages: PageServer
) -> None:
    source = pages.add("/pb/slow.html", LINKING.format(target=TARGET), delay=1.5)
    client = live.client(wait=0.2)
    result = rpc(client, "pingback.ping", source, TARGET)
    assert "queued for verification" in result
    status_path = "/" + result.rsplit("Status: ", 1)[1].split("/", 3)[3]
    assert wait_for(lambda: client.get(status_path).get_json()["status"] == "approved", 30)


@pytest.mark.integration
def test_verdicts_reach_the_answer_on_either_database(
    either_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The wait watches the row through the database's transactions: SQLite with the
    embedded broker, and PostgreSQL with a Redis broker."""
    app = make_app(either_settings, monkeypatch)
    app.config["PINGBACK_WAIT"] = 20.0
    database = services(app).db.dialect  # the session-wide page server needs paths per run
    worker = start_worker(either_settings, tmp_path / "worker.log")
    try:
        client = app.test_client()
        source = pages.add(f"/pb/{database}/linking.html", LINKING.format(target=TARGET))
        assert rpc(client, "pingback.ping", source, TARGET).endswith(
            "registered. Keep the web talking! :-)"
        )
        assert fault_of(client, call_xml("pingback.ping", source, TARGET)).faultCode == 48
        no_link = pages.add(f"/pb/{database}/nolink.html", NOT_LINKING)
        assert fault_of(client, call_xml("pingback.ping", no_link, TARGET)).faultCode == 17
        assert rpc(client, "pingback.extensions.getPingbacks", TARGET) == [source]
    finally:
        worker.stop()


# Through the real server with xmlrpc.client.ServerProxy, as a sender would.


@pytest.mark.integration
def test_server_proxy_introspection(live: Live) -> None:
    proxy = live.proxy()
    assert "pingback.ping" in proxy.system.listMethods()
    assert proxy.system.methodSignature("pingback.extensions.getPingbacks") == [["array", "string"]]
    assert "targetURI" in proxy.system.methodHelp("pingback.extensions.getPingbacks")


@pytest.mark.integration
def test_server_proxy_gets_faults_as_xmlrpc_faults(live: Live) -> None:
    with pytest.raises(Fault) as caught:
        live.proxy().pingback.ping("https://alice.example/", "https://unknown.example/post")
    assert caught.value.faultCode == 33
    with pytest.raises(Fault) as caught:
        live.proxy().system.methodHelp("x" * 70_000)
    assert caught.value.faultCode == -32300


@pytest.mark.integration
def test_get_pingbacks_lists_the_approved_sources_after_a_few_pings(
    live: Live, pages: PageServer
) -> None:
    target = "https://blog.example/post/few"
    sources = [pages.add(f"/pb/few-{n}.html", LINKING.format(target=target)) for n in range(3)]
    rejected = pages.add("/pb/few-nolink.html", NOT_LINKING)
    proxy = live.proxy()
    for source in [*sources, rejected]:
        try:
            assert proxy.pingback.ping(source, target).startswith(f"Pingback from {source}")
        except Fault as fault:  # within the 2 s default wait, the unlinked one is refused
            assert (source, fault.faultCode) == (rejected, 17)

    def listed() -> list[str]:
        return live.proxy().pingback.extensions.getPingbacks(target + "/")  # type: ignore[no-any-return]

    assert wait_for(lambda: len(listed()) == 3, 30)
    assert listed() == sources
    assert live.proxy().pingback.extensions.getPingbacks("https://blog.example/post/none") == []


@pytest.mark.integration
def test_server_proxy_multicall_mixes_results_and_faults(live: Live, pages: PageServer) -> None:
    source = pages.add("/pb/multi.html", LINKING.format(target=TARGET))
    batch = xmlrpc.client.MultiCall(live.proxy())
    batch.system.listMethods()
    batch.pingback.ping(source, TARGET)
    batch.pingback.ping(source, "mailto:bob@blog.example")
    batch.no.such.method()
    results = batch()
    assert "system.multicall" in results[0]
    assert results[1].startswith(f"Pingback from {source} to {TARGET}")
    with pytest.raises(Fault) as caught:
        results[2]
    assert caught.value.faultCode == 33
    with pytest.raises(Fault) as caught:
        results[3]
    assert caught.value.faultCode == -32601


@pytest.mark.integration
def test_a_real_pingback_sender_discovers_the_endpoint_and_pings(
    live: Live, pages: PageServer, tmp_path: Path
) -> None:
    """pelican-plugin-linkbacks, the Pelican blog's linkback sender, run as its documented CLI
    over a published post: it reads X-Pingback from the target and calls pingback.ping."""
    target = pages.add(
        "/pb/localhost-target.html",
        "<html><head><title>Bob</title></head><body>Bob's post</body></html>",
        headers={"X-Pingback": f"{live.base}/xmlrpc"},
    ).replace("127.0.0.1", "localhost")  # on the registered site "localhost"
    post = f'<html><body><article><p>Read <a href="{target}">Bob</a>.</p></article></body></html>'
    source = pages.add("/pb/pelican/alice.html", post)
    (tmp_path / "alice.html").write_text(post)
    env = {
        **os.environ,
        "SITEURL": pages.url("/pb/pelican"),
        "LINKBACKS_CACHEPATH": str(tmp_path / "linkbacks.json"),
    }
    sent = subprocess.run(
        [sys.executable, "-m", "pelican.plugins.linkbacks.linkbacks", str(tmp_path / "alice.html")],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "pingback notification sent" in sent.stderr, sent.stderr
    assert f"Pingback from {source} to {target}" in sent.stderr

    def stored() -> Mention | None:
        with services(live.app).db.session() as session:
            return session.scalar(select(Mention).where(Mention.source == source))

    assert wait_for(lambda: (m := stored()) is not None and m.status == "approved", 30)
    assert stored().protocol == "pingback"  # type: ignore[union-attr]
