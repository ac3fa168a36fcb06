"""send.outbox: one delivery try of a queued send against real receivers on 127.0.0.1:
retries with backoff honouring Retry-After, then error; the callback through the guard."""

from __future__ import annotations

import dataclasses
import uuid
from urllib.parse import parse_qs

import pytest
from flask import Flask

from pingsvc.db import services
from pingsvc.models import ACCEPTED, ERROR, NOT_SUPPORTED, QUEUED, Outgoing, Site
from pingsvc.pipeline.steps import RetryLater
from pingsvc.send import outbox, store
from pingsvc.send.post import SendSettings
from tests.support.pageserver import PageServer
from tests.support.sending import AUTHOR_HOST, far, farther, send_app, target_page

__all__ = ["far", "farther", "send_app"]  # fixtures


def _queue(app: Flask, source: str, target: str, callback: str | None = None) -> int:
    db = services(app).db
    with db.session() as session:
        site = session.query(Site).filter_by(host=AUTHOR_HOST).one()
        outgoing_id = store.upsert(session, site.id, source, target, linked=True, callback=callback)
        session.commit()
    return outgoing_id


def _row(app: Flask, outgoing_id: int) -> Outgoing:
    with services(app).db.session() as session:
        row = session.get(Outgoing, outgoing_id)
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("attempts", "retry_after", "expected"),
    [(1, None, 10.0), (2, None, 20.0), (3, None, 40.0), (1, 7.0, 7.0), (4, 0.0, 0.0),
     (1, 86400.0, 900.0)],
)  # fmt: skip
def test_the_countdown_is_retry_after_when_given_else_a_doubling_backoff(
    attempts: int, retry_after: float | None, expected: float
) -> None:
    settings = SendSettings(backoff=10.0, retry_after_max=900.0)
    assert outbox.retry_countdown(attempts, retry_after, settings) == expected


def test_a_429_is_retried_after_its_retry_after_then_accepted(
    send_app: Flask, far: PageServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "slow down", status=429, headers={"Retry-After": "7"})
    target = far.add(f"/{tag}/t", **target_page(endpoint))  # type: ignore[arg-type]
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
    settings = SendSettings.from_config(send_app.config)

    with pytest.raises(RetryLater) as retry:
        outbox.deliver_one(services(send_app).db, outgoing_id, settings)
    assert retry.value.countdown == 7.0
    row = _row(send_app, outgoing_id)
    assert row.status == QUEUED and row.attempts == 1
    assert "429" in (row.last_error or "") and "next in 7 s" in (row.last_error or "")

    far.add(f"/{tag}/wm", "", status=202)
    assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) == ACCEPTED
    row = _row(send_app, outgoing_id)
    assert (row.status, row.attempts, row.http_code, row.protocol) == (
        ACCEPTED, 2, 202, "webmention",
    )  # fmt: skip
    assert row.queued_at is None and row.sent_at is not None
    assert len(far.posted(f"/{tag}/wm")) == 2


def test_a_5xx_is_retried_with_backoff_then_ends_as_error(send_app: Flask, far: PageServer) -> None:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "down", status=503)
    target = far.add(f"/{tag}/t", **target_page(endpoint))  # type: ignore[arg-type]
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
    settings = SendSettings.from_config(send_app.config)  # 3 tries, 0.2 s backoff
    countdowns = []
    for _try in range(2):
        with pytest.raises(RetryLater) as retry:
            outbox.deliver_one(services(send_app).db, outgoing_id, settings)
        countdowns.append(retry.value.countdown)
    assert countdowns == [0.2, 0.4]
    assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) == ERROR
    row = _row(send_app, outgoing_id)
    assert row.status == ERROR and row.attempts == 3 and row.http_code == 503
    assert "gave up after 3 tries" in (row.last_error or "")
    # Final: a message delivered again changes nothing.
    assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) is None


def test_no_endpoint_is_not_supported_and_logged_with_its_fields(
    send_app: Flask, far: PageServer, caplog: pytest.LogCaptureFixture
) -> None:
    target = far.add(f"/{uuid.uuid4().hex[:8]}/t", **target_page())  # type: ignore[arg-type]
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
    settings = SendSettings.from_config(send_app.config)
    with caplog.at_level("INFO", logger="pingsvc.send.outbox"):
        assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) == NOT_SUPPORTED
    assert _row(send_app, outgoing_id).endpoint is None
    (record,) = [r for r in caplog.records if getattr(r, "outgoing_id", None) == outgoing_id]
    assert (record.target, record.status, record.protocol) == (target, NOT_SUPPORTED, None)  # type: ignore[attr-defined]


def test_a_busy_host_defers_the_delivery_without_counting_a_try(
    send_app: Flask, far: PageServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=202)
    targets = [far.add(f"/{tag}/t{n}", **target_page(endpoint)) for n in range(2)]  # type: ignore[arg-type]
    running, waiting = (_queue(send_app, "http://127.0.0.1/post", t) for t in targets)
    settings = SendSettings.from_config(send_app.config)
    one_at_a_time = SendSettings(**{**settings.__dict__, "per_host": 1})
    assert store.claim(services(send_app).db, running, lease=60, per_host=1) is not None
    with pytest.raises(RetryLater):
        outbox.deliver_one(services(send_app).db, waiting, one_at_a_time)
    assert _row(send_app, waiting).attempts == 0
    assert far.posted(f"/{tag}/wm") == []


def test_the_final_status_is_posted_to_the_callback_as_a_form(
    send_app: Flask, far: PageServer, farther: PageServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=201, headers={"Location": far.url("/s/9")})
    target = far.add(f"/{tag}/t", **target_page(endpoint))  # type: ignore[arg-type]
    callback = farther.add(f"/{tag}/callback", "", status=200)
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target, callback)
    settings = SendSettings.from_config(send_app.config)
    assert outbox.deliver_one(services(send_app).db, outgoing_id, settings) == ACCEPTED
    (posted,) = farther.posted(f"/{tag}/callback")
    assert posted.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(posted.body.decode(), keep_blank_values=True).items()}
    assert form == {
        "source": "http://127.0.0.1/post",
        "target": target,
        "status": "accepted",
        "type": "webmention",
        "endpoint": endpoint,
        "http_code": "201",
        "summary": form["summary"],
        "location": far.url("/s/9"),
    }


def test_a_callback_to_a_private_address_is_refused_by_the_guard(
    send_app: Flask, far: PageServer
) -> None:
    """The callback is the API caller's URL: like a webhook it must not reach internal
    services. 127.0.0.9 is loopback and not allowed: nothing listens, nothing is sent."""
    row = Outgoing(
        id=1, source="http://127.0.0.1/post", target="https://t.example/", status=ACCEPTED,
        callback="http://127.0.0.9/internal",
    )  # fmt: skip
    attempt = outbox.call_back(row, SendSettings.from_config(send_app.config))
    assert not attempt.ok
    assert attempt.error == (
        "refused: the callback host '127.0.0.9' resolves to a loopback address (127.0.0.9)"
    )


def test_an_endpoint_on_a_private_address_is_refused_and_recorded_as_error(
    send_app: Flask, far: PageServer
) -> None:
    """A stranger's target names an internal endpoint (loopback, on a port pingsvc may use):
    the send ends `error` with the guard's reason and the trap is never connected to."""
    from tests.support.dashboard import Trap

    settings = SendSettings.from_config(send_app.config)
    with Trap() as trap:
        policy = dataclasses.replace(settings.policy, ports=settings.policy.ports | {trap.port})
        endpoint = f"http://127.0.0.1:{trap.port}/internal"
        target = far.add(f"/{uuid.uuid4().hex[:8]}/t", **target_page(endpoint))  # type: ignore[arg-type]
        outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
        status = outbox.deliver_one(
            services(send_app).db, outgoing_id, dataclasses.replace(settings, policy=policy)
        )
        assert status == ERROR
        assert trap.connections == 0
    row = _row(send_app, outgoing_id)
    assert row.endpoint == endpoint and row.attempts == 1
    assert row.last_error and "refused" in row.last_error and "loopback" in row.last_error


def test_final_statuses_are_counted_by_protocol_and_status(
    send_app: Flask, far: PageServer
) -> None:
    def count() -> float:
        text = send_app.test_client().get("/metrics").get_data(as_text=True)
        line = 'pingsvc_sent_total{protocol="none",status="not_supported"}'
        found = [ln for ln in text.splitlines() if ln.startswith(line)]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    def queued() -> float:
        text = send_app.test_client().get("/metrics").get_data(as_text=True)
        (line,) = [ln for ln in text.splitlines() if ln.startswith("pingsvc_send_queue_depth ")]
        return float(line.split()[1])

    before, queued_before = count(), queued()
    target = far.add(f"/{uuid.uuid4().hex[:8]}/t", **target_page())  # type: ignore[arg-type]
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
    assert queued() == queued_before + 1
    outbox.deliver_one(
        services(send_app).db, outgoing_id, SendSettings.from_config(send_app.config)
    )
    assert count() == before + 1
    assert queued() == queued_before


def test_a_send_whose_tries_keep_dying_with_their_worker_is_given_up(
    send_app: Flask, far: PageServer
) -> None:
    """Each claim counts a try; tries that died never wrote a result. Past the tries
    allowed, the next claim ends the send as error instead of looping forever."""
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=202)
    target = far.add(f"/{tag}/t", **target_page(endpoint))  # type: ignore[arg-type]
    outgoing_id = _queue(send_app, "http://127.0.0.1/post", target)
    settings = SendSettings.from_config(send_app.config)  # 3 tries
    db = services(send_app).db
    for _died in range(settings.max_tries):
        assert store.claim(db, outgoing_id, lease=60, per_host=5) is not None
        store.release(db, outgoing_id)  # as a lease that ran out
    assert outbox.deliver_one(db, outgoing_id, settings) == ERROR
    assert "3 tries ended without a result" in (_row(send_app, outgoing_id).last_error or "")
    assert far.posted(f"/{tag}/wm") == []
