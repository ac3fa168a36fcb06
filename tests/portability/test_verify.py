"""--verify: each imported mention with a source is queued for verification after its
batch is committed, and a real worker then treats it as any received mention (a source
that is gone ends deleted). WordPress comments are never queued."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.cli import main
from pingsvc.models import Mention
from tests.conftest import TARGET, make_app
from tests.portability.helpers import import_wordpress
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

REPLY = """<!doctype html><html><body><article class="h-entry">
<a class="p-author h-card" href="/">Rita</a>
<p class="e-content">Still here, replying to <a class="u-in-reply-to"
href="https://blog.example/post/1">the post</a>.</p></article></body></html>"""


def test_verify_queues_every_mention_with_a_source_but_no_comment(app: Flask) -> None:
    queued: list[int] = []
    report = import_wordpress(app, verify=True, enqueue=queued.append)
    assert report.imported == 12
    with services(app).db.session() as session:
        rows = {m.origin_id: m for m in session.scalars(select(Mention))}
    expected = {rows[i].id for i in ("106", "107", "108", "203", "204")}
    assert set(queued) == expected
    assert {m.id for m in rows.values() if m.queued_at is not None} == expected


@pytest.mark.integration
def test_a_verified_import_whose_source_is_gone_ends_deleted(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = make_app(settings, monkeypatch)
    gone = pages.add("/import-verify/gone", "gone", status=410)
    alive = pages.add("/import-verify/alive", REPLY)
    page = {
        "type": "feed",
        "children": [
            {
                "wm-id": 1,
                "wm-source": gone,
                "wm-target": TARGET,
                "wm-received": "2018-01-01T00:00:00Z",
                "wm-property": "like-of",
            },
            {
                "wm-id": 2,
                "wm-source": alive,
                "wm-target": TARGET,
                "wm-received": "2018-01-02T00:00:00Z",
                "wm-property": "in-reply-to",
                "content": {"text": "an old copy"},
            },
        ],
    }
    path = tmp_path / "verify.jf2"
    path.write_text(json.dumps(page))
    done = CliRunner().invoke(main, ["import", str(path), "--site", "blog.example", "--verify"])
    assert done.stdout == "imported 2, updated 0, skipped 0\n", done.output

    def statuses() -> dict[str, tuple[str, bool]]:
        with services(app).db.session() as session:
            return {
                m.source: (m.status, m.queued_at is None) for m in session.scalars(select(Mention))
            }

    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        ok = wait_for(
            lambda: statuses() == {gone: ("deleted", True), alive: ("approved", True)}, 60
        )
        assert ok, f"{statuses()}\n{worker.output()}"
    finally:
        worker.stop()
    client = app.test_client()
    children = client.get(f"/api/mentions.jf2?target={TARGET}").get_json()["children"]
    assert [c["wm-source"] for c in children] == [alive]
    # Verified anew: what the page says now, received when the file said.
    assert children[0]["content"]["text"].startswith("Still here")
    assert children[0]["wm-received"] == "2018-01-02T00:00:00Z"
    services(app).db.dispose()
