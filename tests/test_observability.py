"""Structured logs: JSON lines, and one request id from X-Request-Id through the response
header into the Celery task that the request queued."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import obs, services
from pingsvc.models import Mention
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

LIKE = """<article class="h-entry"><a class="p-author h-card" href="/">Eve</a> liked
<a class="u-like-of" href="https://blog.example/post/1">this</a></article>"""


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the root logger writes through pingsvc's JSON formatter, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(obs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_a_given_request_id_comes_back_in_the_response(client: FlaskClient) -> None:
    answer = client.get("/healthz", headers={"X-Request-Id": "edge-7f3a.1"})
    assert answer.headers["X-Request-Id"] == "edge-7f3a.1"


def test_a_request_without_an_id_gets_a_new_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("junk", ["has space", "x" * 129, 'quote"d', "new\\nline"])
def test_a_malformed_request_id_is_replaced_not_echoed(client: FlaskClient, junk: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-Id": junk})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])


def test_each_request_logs_one_json_access_line_with_its_id(
    client: FlaskClient, log_lines: io.StringIO
) -> None:
    client.post(
        "/webmention",
        data={"source": "not a url", "target": TARGET},
        headers={"X-Request-Id": "req-400"},
    )
    (access,) = [r for r in records(log_lines) if r["logger"] == "pingsvc.access"]
    assert access["request_id"] == "req-400"
    assert (access["method"], access["path"], access["status"]) == ("POST", "/webmention", 400)
    assert access["level"] == "INFO"
    assert isinstance(access["duration_ms"], float)
    assert access["time"].endswith("+00:00")


def test_log_lines_outside_a_request_have_no_request_id(log_lines: io.StringIO) -> None:
    logging.getLogger("pingsvc.test").warning("plain %s", "message", extra={"mention_id": 3})
    (line,) = records(log_lines)
    assert line["message"] == "plain message"
    assert line["mention_id"] == 3
    assert "request_id" not in line


def test_an_exception_is_logged_with_its_traceback_in_one_line(log_lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("pingsvc.test").exception("it failed")
    (line,) = records(log_lines)
    assert line["message"] == "it failed"
    assert "ValueError: boom" in line["exc"]


def test_a_queued_task_message_carries_the_request_id(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    sent: list[dict] = []
    from celery.signals import before_task_publish

    def spy(headers: dict | None = None, **_: object) -> None:
        sent.append(dict(headers or {}))

    before_task_publish.connect(spy, weak=False)
    try:
        client.post(
            "/webmention",
            data={"source": pages.add("/obs/header.html", LIKE), "target": TARGET},
            headers={"X-Request-Id": "req-header-1"},
        )
    finally:
        before_task_publish.disconnect(spy)
    assert [h.get(obs.TASK_HEADER) for h in sent] == ["req-header-1"]


@pytest.mark.integration
def test_the_message_on_redis_is_a_celery_verify_task_with_the_mention_id_and_request_id(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the accept path publishes (tasking.publish, not send_task) is read back as kombu
    reads it for a worker: task pingsvc.verify, the mention id as its one argument."""
    from kombu import Connection

    app = make_app(production_settings, monkeypatch)
    answer = app.test_client().post(
        "/webmention",
        data={"source": "https://alice.example/obs/redis", "target": TARGET},
        headers={"X-Request-Id": "req-on-redis-7"},
    )
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    with Connection(app.config["REDIS_URL"]) as connection:
        queue = connection.SimpleQueue(app.config["QUEUE"])
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
        assert connection.default_channel.client.llen(app.config["QUEUE"]) == 0  # just one
    args, kwargs, _embed = message.decode()
    assert (args, kwargs) == ([mention_id], {})
    assert message.headers["task"] == "pingsvc.verify"
    assert message.headers[obs.TASK_HEADER] == "req-on-redis-7"
    assert message.properties["correlation_id"] == message.headers["id"]
    services(app).db.dispose()


@pytest.mark.integration
def test_the_worker_logs_the_verification_under_the_request_id(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = {**settings, "PINGSVC_LOG_LEVEL": "INFO"}
    app = make_app(settings, monkeypatch)
    client = app.test_client()
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        answer = client.post(
            "/webmention",
            data={"source": pages.add("/obs/worker-like.html", LIKE), "target": TARGET},
            headers={"X-Request-Id": "req-into-task-42"},
        )
        assert answer.headers["X-Request-Id"] == "req-into-task-42"
        mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])

        def approved() -> bool:
            with services(app).db.session() as session:
                mention = session.get(Mention, mention_id)
                return mention is not None and mention.status == "approved"

        assert wait_for(approved, 30), worker.output()
        assert wait_for(lambda: f"mention {mention_id} approved" in worker.output(), 10)
    finally:
        worker.stop()
        services(app).db.dispose()
    lines = [json.loads(x) for x in worker.log.read_text().splitlines() if x.startswith("{")]
    (verdict,) = [x for x in lines if x["message"].startswith(f"mention {mention_id} approved")]
    assert verdict["request_id"] == "req-into-task-42"
    assert verdict["logger"] == "pingsvc.pipeline"
