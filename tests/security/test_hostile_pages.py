"""Hostile source pages, served from loopback: too large, too slow, redirecting forever,
compression bombs, nesting bombs, binary data and broken encodings. Each ends `rejected`
(or, for a server that never answers, pending a retry) with a reason a person can read, and
memory stays bounded while it happens."""

from __future__ import annotations

import gzip
import json
import math
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.errors import FetchError, HostilePage
from pingsvc.fetch.client import fetch
from pingsvc.fetch.hostile import html_depth, json_depth
from pingsvc.fetch.policy import FetchPolicy
from tests.conftest import TARGET, make_app
from tests.security.conftest import send_and_verify
from tests.support.pageserver import PageServer
from tests.support.scripted import Scripted

LIMIT = 64 * 1024
LINK = f'<a href="{TARGET}">a link to the post</a>'


@pytest.fixture
def hostile_app(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(
        {
            **settings,
            "PINGSVC_FETCH_MAX_BYTES": str(LIMIT),
            "PINGSVC_FETCH_TIMEOUT": "1.5",
            "PINGSVC_FETCH_MAX_REDIRECTS": "3",
        },
        monkeypatch,
    )
    yield app
    services(app).db.dispose()


def _forever(chunk: bytes, pause: float = 0.0) -> Callable[[], Iterable[bytes]]:
    def body() -> Iterator[bytes]:
        while True:
            yield chunk
            if pause:
                time.sleep(pause)

    return body


def drip_server(head: bytes, drip: bytes, pause: float = 0.2) -> Scripted:
    """Sends `head` at once, then one byte of `drip` every `pause` seconds, for as long as
    the client listens: slow-loris in either direction."""
    return Scripted(head, drip, after=math.inf, pause=pause)


def _policy(pages: PageServer, *extra: str, **limits: float) -> FetchPolicy:
    return FetchPolicy(
        timeout=float(limits.get("timeout", 1.5)),
        max_bytes=int(limits.get("max_bytes", LIMIT)),
        max_redirects=3,
        allow=frozenset({pages.hostport, *extra}),
    )


# Size.


def test_a_page_declaring_more_than_the_limit_is_rejected_unread(
    hostile_app: Flask, pages: PageServer
) -> None:
    source = pages.add("/hostile/declared", f"<p>{LINK}</p>" + "x" * LIMIT)
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert status["error"] == f"the source is larger than the {LIMIT} byte limit"
    assert status["error_kind"] == "hostile"


def test_an_endless_stream_is_cut_at_the_limit_in_bounded_memory(pages: PageServer) -> None:
    source = pages.add("/hostile/endless", _forever(b"<p>" + b"x" * 65_533))
    tracemalloc.start()
    try:
        with pytest.raises(HostilePage, match="larger than the 1048576 byte limit"):
            fetch(source, _policy(pages, max_bytes=1024 * 1024, timeout=10))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # the server would have sent forever


def test_an_endless_stream_ends_rejected(hostile_app: Flask, pages: PageServer) -> None:
    status = send_and_verify(hostile_app, pages.add("/hostile/endless2", _forever(b"x" * 4096)))
    assert status["status"] == "rejected"
    assert "larger than the" in status["error"]


def _bomb(size: int, *, wbits: int = 31) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = b"\0" * (1024 * 1024)
    return b"".join(compressor.compress(zeros) for _ in range(size // len(zeros))) + (
        compressor.flush()
    )


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", _bomb(64 * 1024 * 1024)),
        ("deflate", _bomb(64 * 1024 * 1024, wbits=15)),
        ("gzip, gzip", gzip.compress(_bomb(64 * 1024 * 1024))),
    ],
)
def test_a_compression_bomb_is_cut_at_the_limit_in_bounded_memory(
    pages: PageServer, encoding: str, body: bytes
) -> None:
    assert len(body) < 256 * 1024  # tiny on the wire, 64 MiB inflated
    path = f"/hostile/bomb-{len(encoding)}"
    source = pages.add(path, body, headers={"Content-Encoding": encoding})
    tracemalloc.start()
    try:
        with pytest.raises(HostilePage, match="larger than the 1048576 byte limit"):
            fetch(source, _policy(pages, max_bytes=1024 * 1024, timeout=10))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_a_gzip_bomb_ends_rejected(hostile_app: Flask, pages: PageServer) -> None:
    source = pages.add(
        "/hostile/bomb", _bomb(16 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
    )
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert status["error"] == f"the source is larger than the {LIMIT} byte limit"


def test_a_corrupt_compressed_body_is_rejected(hostile_app: Flask, pages: PageServer) -> None:
    source = pages.add("/hostile/corrupt-gz", b"\x1f\x8b\x08\x00garbage" * 10,
                       headers={"Content-Encoding": "gzip"})  # fmt: skip
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert "compressed body could not be decoded" in status["error"]


# Time.


def test_a_body_dripped_a_byte_at_a_time_is_ended_by_the_time_budget(
    hostile_app: Flask, pages: PageServer
) -> None:
    source = pages.add("/hostile/drip-chunked", _forever(b"<", pause=0.2))
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert status["error"] == "the source took longer than the time limit to send its page"
    assert status["error_kind"] == "hostile"


def test_a_body_with_a_length_dripped_inside_every_socket_timeout_is_ended(
    pages: PageServer,
) -> None:
    """Each byte arrives well within the socket timeout; only the total budget can end it."""
    drip = drip_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 50000\r\n\r\n", b"<p>"
    )
    try:
        with pytest.raises(HostilePage, match="took longer than the time limit"):
            fetch(f"http://{drip.hostport}/", _policy(pages, drip.hostport, timeout=1.0))
    finally:
        drip.close()


def test_headers_dripped_forever_are_ended_by_the_time_budget(pages: PageServer) -> None:
    """Slow-loris on the response headers: the server never finishes them."""
    drip = drip_server(b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n")
    try:
        with pytest.raises(HostilePage, match="took longer than the time limit"):
            fetch(f"http://{drip.hostport}/", _policy(pages, drip.hostport, timeout=1.0))
    finally:
        drip.close()


def test_headers_dripped_fast_end_as_too_slow_however_the_cut_lands(pages: PageServer) -> None:
    """The time limit shuts the socket while a header byte may be in flight: the reader then
    sees the end of the headers, or a reset. Either way the server had answered and sent too
    slowly (a reset once read as "did not answer in time", retried like a silent server)."""
    drip = drip_server(b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n", pause=0.001)
    try:
        for _ in range(20):
            with pytest.raises(HostilePage, match="longer than the time limit to send its page"):
                fetch(f"http://{drip.hostport}/", _policy(pages, drip.hostport, timeout=0.2))
    finally:
        drip.close()


def test_a_server_that_never_answers_is_retried_later(
    hostile_app: Flask, pages: PageServer
) -> None:
    source = pages.add("/hostile/silent", LINK, delay=2.5)
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "pending"
    assert status["last_error"] == "the source did not answer in time"


# Redirects.


def test_a_redirect_loop_is_rejected(hostile_app: Flask, pages: PageServer) -> None:
    pages.add("/hostile/loop-a", status=302, headers={"Location": "/hostile/loop-b"})
    pages.add("/hostile/loop-b", status=302, headers={"Location": "/hostile/loop-a"})
    status = send_and_verify(hostile_app, pages.url("/hostile/loop-a"))
    assert status["status"] == "rejected"
    assert status["error"] == "the source redirected more than 3 times"
    assert status["error_kind"] == "hostile"


def test_a_redirect_chain_past_the_limit_is_rejected(hostile_app: Flask, pages: PageServer) -> None:
    for n in range(5):
        pages.add(f"/hostile/chain{n}", status=301, headers={"Location": f"/hostile/chain{n + 1}"})
    pages.add("/hostile/chain5", LINK)
    status = send_and_verify(hostile_app, pages.url("/hostile/chain0"))
    assert status["status"] == "rejected"
    assert status["error"] == "the source redirected more than 3 times"


# Structure.


@pytest.mark.parametrize("tag", ["div", "ul", "x-custom", "table", "b", "svg"])
def test_deeply_nested_html_is_rejected_before_parsing(
    hostile_app: Flask, pages: PageServer, tag: str
) -> None:
    html = f"<!doctype html><body>{f'<{tag}>' * 1000}{LINK}</body>"
    status = send_and_verify(hostile_app, pages.add(f"/hostile/deep-{tag}", html))
    assert status["status"] == "rejected"
    assert "nests more than 512 levels deep" in status["error"]
    assert status["error_kind"] == "hostile"


def test_deep_json_is_rejected_before_parsing(hostile_app: Flask, pages: PageServer) -> None:
    body = "[" * 20_000 + json.dumps(TARGET) + "]" * 20_000
    source = pages.add("/hostile/deep.json", body, headers={"Content-Type": "application/json"})
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert "nests more than 512 levels deep" in status["error"]


def test_the_depth_estimate_follows_the_html_parsing_rules() -> None:
    assert html_depth("<div><div><div></div></div></div>", 256) == 3
    assert html_depth("<p>" * 5000, 256) == 0  # an unclosed <p> closes the one before
    assert html_depth("<li>a<li>b" * 3000, 256) == 0
    assert html_depth("<br><img src=x><hr>" * 3000, 256) == 0
    assert html_depth("<div></div>" * 5000, 256) == 1
    assert html_depth("<div>" + "</x>" * 500 + "<div>" * 3, 256) == 4  # stray ends close nothing
    assert html_depth("<svg>" + "<path d='m0'/>" * 5000 + "</svg>", 256) == 1
    assert html_depth("<div/>" * 300, 256) == 257  # HTML ignores the slash on <div/>
    assert html_depth("<script>" + "<div>" * 5000 + "</script>", 256) == 0
    assert html_depth("<!--" + "<div>" * 5000 + "-->", 256) == 0
    assert html_depth("<b><i></b></i>" * 5000, 256) == 2  # misnested, but closed
    assert json_depth('{"a": [1, {"b": "[[[[[["}]}', 256) == 3
    assert json_depth("[" * 100_000, 256) == 257  # stops counting past the limit


def test_a_huge_flat_page_within_the_limit_is_read(pages: PageServer) -> None:
    html = "<ul>" + "<li><a href='/x'>item</a>" * 40_000 + f"</ul>{LINK}"
    page = fetch(pages.add("/hostile/flat", html), _policy(pages, max_bytes=2 * 1024 * 1024))
    assert len(page.text) > 1_000_000


# Content.


def test_binary_served_as_html_is_rejected(hostile_app: Flask, pages: PageServer) -> None:
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001") + LINK.encode() * 3
    status = send_and_verify(hostile_app, pages.add("/hostile/binary", png))
    assert status["status"] == "rejected"
    assert status["error"] == "the source is binary data served as text/html"


@pytest.mark.parametrize("media_type", ["text/plain", "application/json"])
def test_binary_served_as_text_or_json_is_rejected(pages: PageServer, media_type: str) -> None:
    source = pages.add(f"/hostile/bin-{media_type}", b"\x00\x01\x02\x03" * 100,
                       headers={"Content-Type": media_type})  # fmt: skip
    with pytest.raises(FetchError, match=f"binary data served as {media_type}"):
        fetch(source, _policy(pages))


def test_text_mostly_invalid_in_its_declared_encoding_is_rejected(
    hostile_app: Flask, pages: PageServer
) -> None:
    garbage = bytes(range(0x80, 0x100)) * 8
    body = b"<p>" + garbage + LINK.encode() + b"</p>"
    source = pages.add("/hostile/bad-utf8", body,
                       headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "rejected"
    assert "the source is not valid utf-8" in status["error"]
    assert "characters could not be decoded" in status["error"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", f"<p>caf\xe9 {LINK}</p>".encode("latin-1")),  # one bad byte
        ("text/html; charset=rot13", f"<p>{LINK}</p>".encode()),  # not a text encoding
        ("text/html; charset=base64", f"<p>{LINK}</p>".encode()),
        ("text/html; charset=utf-7", f"<p>{LINK}</p>".encode()),  # browsers never use it
        ("text/html; charset=x-no-such", f"<p>{LINK}</p>".encode()),
        ("text/html; charset=utf-16", b"\xff\xfe" + f"<p>{LINK}</p>".encode("utf-16-le")),
    ],
)
def test_odd_but_readable_encodings_are_read_without_crashing(
    hostile_app: Flask, pages: PageServer, content_type: str, body: bytes
) -> None:
    source = pages.add(f"/hostile/enc-{abs(hash(content_type))}", body,
                       headers={"Content-Type": content_type})  # fmt: skip
    status = send_and_verify(hostile_app, source)
    assert status["status"] == "approved", status


# The real worker.


@pytest.mark.integration
def test_a_real_worker_survives_hostile_pages_and_verifies_the_next_one(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.support.services import start_worker, wait_for

    app = make_app({**settings, "PINGSVC_FETCH_MAX_BYTES": str(LIMIT)}, monkeypatch)
    hostile = {
        "deep": pages.add("/worker/deep", "<div>" * 12_000 + LINK),
        "bomb": pages.add(
            "/worker/bomb", _bomb(32 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
        ),  # fmt: skip
        "binary": pages.add("/worker/binary", b"\x00\x01" * 1000 + LINK.encode()),
        "deep-json": pages.add(
            "/worker/deep.json", "[" * 50_000, headers={"Content-Type": "application/json"}
        ),  # fmt: skip
    }
    good = pages.add("/worker/good", f"<article class='h-entry'><p>Nice. {LINK}</p></article>")
    client = app.test_client()
    worker = start_worker(settings | {"PINGSVC_FETCH_MAX_BYTES": str(LIMIT)}, tmp_path / "w.log")
    try:
        locations = {}
        for name, source in hostile.items():
            answer = client.post("/webmention", data={"source": source, "target": TARGET})
            locations[name] = answer.headers["Location"].split("/webmention", 1)[1]
        answer = client.post("/webmention", data={"source": good, "target": TARGET})
        good_status = answer.headers["Location"].split("/webmention", 1)[1]

        def state(path: str) -> str:
            return str(client.get(f"/webmention{path}").get_json()["status"])

        assert wait_for(lambda: state(good_status) == "approved", 60), worker.output()
        assert wait_for(lambda: all(state(p) == "rejected" for p in locations.values()), 30)
        assert worker.proc.poll() is None  # still running
    finally:
        assert worker.stop() == 0


def test_the_depth_check_refuses_one_level_past_the_limit_however_it_counts() -> None:
    from pingsvc.errors import HostilePage
    from pingsvc.fetch.hostile import check_structure

    check_structure("<div>" * 64, "text/html", 64, is_json=False)  # few tags: counted only
    check_structure("<div></div>" * 600, "text/html", 64, is_json=False)  # many, but flat
    with pytest.raises(HostilePage):
        check_structure("<div>" * 65, "text/html", 64, is_json=False)
    with pytest.raises(HostilePage):
        check_structure("<p>x</p>" * 100 + "<div>" * 65, "text/html", 64, is_json=False)


@pytest.mark.parametrize(
    "opening",
    ['<img alt="<!--">', '<br title="<script>">', '<p class="<!--">', '<input value="<textarea>">'],
)
def test_markup_inside_an_attribute_of_a_void_tag_hides_no_nesting(opening: str) -> None:
    from pingsvc.errors import HostilePage
    from pingsvc.fetch.hostile import check_structure

    assert html_depth(opening + "<div>" * 5000, 100) == 101
    with pytest.raises(HostilePage):
        check_structure(opening + "<div>" * 5000, "text/html", 100, is_json=False)
