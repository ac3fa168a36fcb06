"""The sandbox under each Celery pool an operator may choose: threads (what pingsvc runs) and
prefork (Celery's default), whose pool processes fork the parse children of their own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask

from pingsvc import services
from pingsvc.models import APPROVED, Mention
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

CARD = "<div class='h-card'><a class='u-url u-uid p-name' href=''>Ann Author</a></div>"


def _row(app: Flask, mention_id: int) -> Mention:
    with services(app).db.session() as session:
        row = session.get(Mention, mention_id)
        assert row is not None
        return row


@pytest.mark.integration
@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_real_worker_reads_pages_in_its_sandbox_under_each_pool(
    settings: dict[str, str],
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    pool: str,
) -> None:
    app = make_app(settings, monkeypatch)
    tag = uuid.uuid4().hex[:8]
    author = pages.add(f"/pools/{tag}/author", CARD)
    source = pages.add(
        f"/pools/{tag}/reply",
        f"<article class='h-entry'><a class='u-author' href='{author}'></a>"
        f"<a class='u-in-reply-to' href='{TARGET}'>re</a><p class='e-content'>Hi</p></article>",
    )
    worker = start_worker(settings, tmp_path / "worker.log", "--pool", pool, "--concurrency", "2")
    try:
        answer = app.test_client().post("/webmention", data={"source": source, "target": TARGET})
        assert answer.status_code == 201, answer.get_json()
        mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
        assert wait_for(lambda: _row(app, mention_id).status == APPROVED, 60), worker.output()
        row = _row(app, mention_id)
        assert (row.author_name, row.author_url, row.property) == (
            "Ann Author",
            author,
            "in-reply-to",
        )
    finally:
        worker.stop()
        services(app).db.dispose()
