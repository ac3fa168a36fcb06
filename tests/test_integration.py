"""The whole webmention path with real parts: the Flask endpoint, a real Celery worker
process, a real HTTP server for the source, read back through the API. Once embedded
(SQLite + filesystem broker), once in production mode (PostgreSQL + Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

pytestmark = pytest.mark.integration

REPLY = """<!doctype html><html><head><title>Re: post | Alice</title></head><body>
<article class="h-entry"><a class="p-author h-card" href="/">Alice Example</a>
<p>In reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Bob's post</a></p>
<div class="e-content">Great post, <b>Bob</b>!</div>
<time class="dt-published" datetime="2024-03-05T10:12:00+01:00">March 5</time>
</article></body></html>"""


def _roundtrip(client: FlaskClient, pages: PageServer, tag: str) -> None:
    source = pages.add(f"/{tag}/reply.html", REPLY)
    nolink = pages.add(f"/{tag}/nolink.html", "<p>no link to https://blog.example/post/1</p>")

    answer = client.post("/webmention", data={"source": source, "target": TARGET})
    assert answer.status_code == 201
    status_path = answer.headers["Location"].split("://", 1)[1].split("/", 1)[1]
    rejected = client.post("/webmention", data={"source": nolink, "target": TARGET})

    def children() -> list[dict]:
        return client.get(f"/api/mentions.jf2?target={TARGET}").get_json()["children"]

    assert wait_for(lambda: len(children()) == 1, 30), "the worker never approved the mention"
    (child,) = children()
    assert child["wm-source"] == source
    assert child["wm-property"] == "in-reply-to"
    assert child["author"]["name"] == "Alice Example"
    assert child["content"]["text"] == "Great post, Bob!"
    assert child["published"] == "2024-03-05T10:12:00+01:00"
    assert client.get(f"/{status_path}").get_json()["status"] == "approved"

    rejected_path = rejected.headers["Location"].split("://", 1)[1].split("/", 1)[1]
    assert wait_for(lambda: client.get(f"/{rejected_path}").get_json()["status"] == "rejected", 30)
    assert "does not link" in client.get(f"/{rejected_path}").get_json()["error"]

    # Sending the pair again re-verifies the same row: still one mention, same id.
    again = client.post("/webmention", data={"source": source, "target": TARGET})
    assert again.headers["Location"] == answer.headers["Location"]
    assert wait_for(lambda: client.get(f"/{status_path}").get_json()["status"] == "approved")
    assert [c["wm-id"] for c in children()] == [child["wm-id"]]


def test_the_worker_verifies_and_the_api_serves(
    either_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Embedded: SQLite and the filesystem broker; production: PostgreSQL and Redis."""
    app = make_app(either_settings, monkeypatch)
    production = bool(either_settings.get("PINGSVC_REDIS_URL"))
    assert app.config["DATABASE_URL"].startswith("postgresql") == production
    worker = start_worker(either_settings, tmp_path / "worker.log")
    try:
        _roundtrip(app.test_client(), pages, "production" if production else "embedded")
    finally:
        worker.stop()


def test_production_runs_as_separate_web_and_worker_processes(
    production_settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`pingsvc web` (granian) and `celery -A worker.celery_app worker` on PostgreSQL and
    Redis, talking only through the database and the broker."""
    import requests

    from tests.support.services import start_web

    make_app(production_settings, monkeypatch)  # migrates and registers blog.example
    web, base = start_web(production_settings, tmp_path / "web.log")
    worker = start_worker(production_settings, tmp_path / "worker.log")
    try:
        source = pages.add("/separate/reply.html", REPLY)
        answer = requests.post(f"{base}/webmention", data={"source": source, "target": TARGET})
        assert answer.status_code == 201
        assert answer.headers["Location"].startswith(f"{base}/webmention/status/")
        assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ok"

        def children() -> list[dict]:
            api = requests.get(f"{base}/api/mentions.jf2", params={"target": TARGET}, timeout=5)
            return api.json()["children"]

        assert wait_for(lambda: len(children()) == 1, 30), worker.output()
        assert children()[0]["wm-source"] == source
        assert requests.get(answer.headers["Location"], timeout=5).json()["status"] == "approved"
    finally:
        worker.stop()
        web.stop()
