"""The dashboard's Import page (upload, import on the worker, progress and report) and each
site's Export button, with who may do what."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import services
from pingsvc.models import ImportJob, Mention
from pingsvc.portability import jobs
from tests.dashboard.conftest import World
from tests.support.dashboard import Browser
from tests.support.services import start_worker, wait_for

FILES = Path(__file__).resolve().parents[1] / "portability" / "files"
FEED = FILES / "webmention-io-feed.jf2"


def upload(
    browser: Browser, path: Path | None = None, *, body: bytes | None = None, **form: Any
) -> Any:
    data = body if body is not None else (path or FEED).read_bytes()
    fields = {"format": "detect", **form}
    fields["file"] = (io.BytesIO(data), (path or FEED).name)
    return browser.post("/dashboard/import", fields, content_type="multipart/form-data")


def job_of(app: Flask, answer: Any) -> ImportJob:
    assert answer.status_code == 303, answer.get_data(as_text=True)
    job_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    with services(app).db.session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def test_an_upload_is_imported_by_the_worker_task_and_its_page_shows_the_report(
    world: World, alice: Browser
) -> None:
    page = alice.text("/dashboard/import")
    assert "blog.example" in page and "bob.example" not in page  # only her own sites
    job = job_of(world.app, upload(alice, site=world.alice_site))
    assert job.status == "queued" and Path(job.path).is_file()
    waiting = alice.text(f"/dashboard/imports/{job.id}")
    assert "Waiting for the worker" in waiting and 'http-equiv="refresh"' in waiting

    assert jobs.run(services(world.app).db, job.id) == "done"  # what the worker's task runs

    done = alice.text(f"/dashboard/imports/{job.id}")
    assert 'Done: <strong id="import-report">imported 5, updated 0, skipped 0' in done
    assert 'http-equiv="refresh"' not in done
    assert not Path(job.path).exists()  # the upload is not kept
    with services(world.app).db.session() as session:
        imported = session.query(Mention).filter(Mention.origin_format.is_not(None)).count()
    assert imported == 5
    assert "imported 5" in alice.text("/dashboard/import")  # listed among her imports
    assert jobs.run(services(world.app).db, job.id) is None  # a second delivery does nothing


def test_the_page_shows_progress_while_the_import_runs(world: World, alice: Browser) -> None:
    job = job_of(world.app, upload(alice, site=world.alice_site))
    with services(world.app).db.session() as session:
        row = session.get(ImportJob, job.id)
        assert row is not None
        row.status, row.records = "running", 1500
        session.commit()
    page = alice.text(f"/dashboard/imports/{job.id}")
    assert '<strong id="import-records">1500</strong> records read' in page
    assert 'http-equiv="refresh"' in page


def test_a_malformed_file_fails_with_the_line_and_stores_nothing(
    world: World, alice: Browser
) -> None:
    job = job_of(
        world.app, upload(alice, FILES / "webmention-io-malformed.jf2", site=world.alice_site)
    )
    assert jobs.run(services(world.app).db, job.id) == "failed"
    page = alice.text(f"/dashboard/imports/{job.id}")
    assert "Failed:" in page and "line" in page and "Traceback" not in page
    assert not Path(job.path).exists()


def test_a_file_larger_than_other_requests_may_be_uploaded(
    world: World, alice: Browser, client: FlaskClient
) -> None:
    children = [
        {"type": "entry", "wm-id": 900000 + i, "wm-source": f"https://big.example/{i}",
         "wm-target": "https://blog.example/post/1", "wm-received": "2021-01-01T00:00:00Z",
         "wm-property": "like-of", "like-of": "https://blog.example/post/1",
         "author": {"type": "card", "name": f"Fan {i}", "url": "https://big.example/"},
         "content": {"text": "x" * 200}}
        for i in range(400)
    ]  # fmt: skip
    body = json.dumps({"type": "feed", "children": children}).encode()
    assert len(body) > int(world.app.config["MAX_REQUEST_BYTES"])
    job = job_of(world.app, upload(alice, body=body, site=world.alice_site))
    assert jobs.run(services(world.app).db, job.id) == "done"
    assert "imported 400" in alice.text(f"/dashboard/imports/{job.id}")


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"site": "bob"}, 400, "Choose the site"),
        ({"format": "pingsvc"}, 403, "Only an admin"),
        ({"format": "csv"}, 400, "Choose a format"),
    ],
)
def test_bad_uploads_say_what_to_fix(
    world: World, alice: Browser, form: dict[str, str], status: int, says: str
) -> None:
    answer = upload(alice, **{"site": str(world.alice_site), **form})
    assert answer.status_code == status and says in answer.get_data(as_text=True)


def test_nobody_imports_into_or_reads_the_imports_of_another_owner(
    world: World, alice: Browser, client: FlaskClient
) -> None:
    assert upload(alice, site=world.bob_site).status_code == 404
    job = job_of(world.app, upload(alice, site=world.alice_site))
    client.post("/logout", data={"csrf_token": alice.token})
    bob = Browser(client, "bob@example.com")
    assert bob.get(f"/dashboard/imports/{job.id}").status_code == 404


def test_the_export_button_downloads_the_site_and_nothing_else(
    world: World, alice: Browser
) -> None:
    assert f'href="/dashboard/sites/{world.alice_site}/export"' in alice.text(
        f"/dashboard/sites/{world.alice_site}"
    )
    answer = alice.get(f"/dashboard/sites/{world.alice_site}/export")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=pingsvc-blog")
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert lines[0]["format"] == "pingsvc-export" and lines[0]["version"] == 1
    text = answer.get_data(as_text=True)
    assert "Ada Alice-fan" in text and "Bert Bob-fan" not in text and "bob.example" not in text
    assert alice.get(f"/dashboard/sites/{world.bob_site}/export").status_code == 404


@pytest.mark.integration
def test_a_real_worker_imports_an_upload(
    world: World, alice: Browser, settings: dict[str, str], tmp_path: Path
) -> None:
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        job = job_of(world.app, upload(alice, site=world.alice_site))

        def ended() -> bool:
            with services(world.app).db.session() as session:
                row = session.get(ImportJob, job.id)
                return row is not None and row.status in jobs.FINAL

        assert wait_for(ended, 60), worker.output()
        assert "imported 5, updated 0, skipped 0" in alice.text(f"/dashboard/imports/{job.id}")
    finally:
        worker.stop()
