"""A request the time limit cuts off, read the same however the cut lands: a source that sent
its status line and then too little is too slow (rejected), one that never answered is tried
again, and an endpoint or webhook cut off while answering is tried again. Each server here
ends the connection its own way (a reset, a close, silence) after the limit has run out,
while the watchdog marks the deadline but shuts no socket, or is late and marks nothing (as
on a busy machine): the test chooses the path, not the timing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pingsvc.errors import HostilePage, SourceGone, TransientFetchError
from pingsvc.fetch import deadline as deadline_module
from pingsvc.fetch.client import TOO_SLOW, fetch, make_session, post
from pingsvc.fetch.deadline import Deadline
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.notify import webhooks
from tests.support.pageserver import PageServer
from tests.support.scripted import Scripted, scripted_servers

LIMIT = 0.2  # the fetch's time limit; the servers end their answers 0.6 s after the request


@pytest.fixture(params=["marked, not shut", "watchdog late"])
def cut(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the limit's end shows: the deadline marked expired with its sockets left open, or
    not marked at all by the time the server ends (only the clock says the budget is over)."""
    if request.param == "marked, not shut":
        monkeypatch.setattr(deadline_module, "_shut", lambda _sock: None)
    else:
        monkeypatch.setattr(Deadline, "_expire", lambda _self: None)
    return str(request.param)


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    with scripted_servers() as servers:
        yield servers


def _serve(servers: list[Scripted], head: bytes, drip: bytes = b"", end: str = "close") -> str:
    server = Scripted(head, drip, end)
    servers.append(server)
    return server.hostport


def _policy(hostport: str) -> FetchPolicy:
    return FetchPolicy(timeout=LIMIT, max_redirects=3, allow=frozenset({hostport}))


@pytest.mark.usefixtures("cut")
@pytest.mark.parametrize("end", ["reset", "close"])
@pytest.mark.parametrize("status", [b"200 OK", b"410 Gone", b"503 Service Unavailable"])
def test_headers_dripped_past_the_limit_are_too_slow_however_they_end(
    scripted: list[Scripted], end: str, status: bytes
) -> None:
    """A close reads as the end of the headers (the status came: a 410 once deleted the
    mention, a 503 was retried), a reset as a broken connection (once retried as silent)."""
    hostport = _serve(scripted, b"HTTP/1.1 " + status + b"\r\n", b"X-Slow: 1\r\n", end)
    with pytest.raises(HostilePage) as caught:
        fetch(f"http://{hostport}/", _policy(hostport))
    assert str(caught.value) == TOO_SLOW
    assert not isinstance(caught.value, SourceGone | TransientFetchError)


@pytest.mark.usefixtures("cut")
def test_a_status_line_then_silence_is_too_slow(scripted: list[Scripted]) -> None:
    """The socket's own timeout ends it (at the limit too): the source had answered."""
    hostport = _serve(scripted, b"HTTP/1.1 200 OK\r\nX-Slow: 1\r\n", end="silent")
    with pytest.raises(HostilePage, match="longer than the time limit to send its page"):
        fetch(f"http://{hostport}/", _policy(hostport))


@pytest.mark.parametrize("watchdog", ["shuts", "marks only", "late"])
def test_silence_before_any_status_line_is_tried_again(
    scripted: list[Scripted], monkeypatch: pytest.MonkeyPatch, watchdog: str
) -> None:
    if watchdog == "marks only":
        monkeypatch.setattr(deadline_module, "_shut", lambda _sock: None)
    elif watchdog == "late":
        monkeypatch.setattr(Deadline, "_expire", lambda _self: None)
    hostport = _serve(scripted, b"", end="silent")
    with pytest.raises(TransientFetchError, match="the source did not answer in time"):
        fetch(f"http://{hostport}/", _policy(hostport))


@pytest.mark.usefixtures("cut")
@pytest.mark.parametrize("end", ["reset", "close", "silent"])
def test_an_endpoint_cut_off_while_answering_is_tried_again(
    scripted: list[Scripted], end: str
) -> None:
    """Its 202 came, its headers did not: no answer to record (a close once read as
    "accepted"), and a slow endpoint is tried again."""
    hostport = _serve(scripted, b"HTTP/1.1 202 Accepted\r\n", b"X-Slow: 1\r\n", end)
    with pytest.raises(TransientFetchError, match="the endpoint did not answer in time"):
        post(f"http://{hostport}/", {"source": "s", "target": "t"}, _policy(hostport))


@pytest.mark.usefixtures("cut")
@pytest.mark.parametrize("end", ["reset", "close"])
def test_an_answer_whose_body_the_limit_cut_says_it_came_late(
    scripted: list[Scripted], end: str
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 9000\r\n\r\n<?xml"
    hostport = _serve(scripted, head, b" ", end)
    answer = post(f"http://{hostport}/", b"<call/>", _policy(hostport))
    assert (answer.status_code, answer.late, answer.truncated) == (200, True, True)


def test_an_answer_read_whole_in_time_is_not_late(pages: PageServer) -> None:
    url = pages.add("/limit/endpoint", "accepted", status=202)
    answer = post(url, {"source": "s"}, FetchPolicy(timeout=3, allow=frozenset({pages.hostport})))
    assert (answer.status_code, answer.body, answer.late, answer.truncated) == (
        202, b"accepted", False, False,
    )  # fmt: skip


@pytest.mark.usefixtures("cut")
@pytest.mark.parametrize("end", ["reset", "close", "silent"])
def test_a_webhook_cut_off_while_answering_is_late_and_tried_again(
    scripted: list[Scripted], end: str
) -> None:
    hostport = _serve(scripted, b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n", end)
    attempt = webhooks.post(f"http://{hostport}/", b"{}", {}, _policy(hostport))
    assert (attempt.ok, attempt.error, attempt.retry) == (False, webhooks._LATE, True)


def test_a_request_notes_on_its_deadline_that_the_status_line_came(pages: PageServer) -> None:
    """What the classification rests on: urllib3 reads the answer through _StatusNoted."""
    url = pages.add("/limit/ok", "<p>ok</p>")
    policy = FetchPolicy(timeout=3, allow=frozenset({pages.hostport}))
    session = make_session(policy)
    try:
        with Deadline(3) as deadline:
            response = session.request("GET", url, deadline)
            assert deadline.answered and response.status == 200
            response.close()
            response.release_conn()
    finally:
        session.close()


def test_a_deadline_is_over_when_due_though_the_watchdog_has_not_marked_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Deadline, "_expire", lambda _self: None)
    with Deadline(0.05) as deadline:
        assert not deadline.over
        while deadline.remaining() > 0:
            pass
        assert deadline.over and not deadline.expired
