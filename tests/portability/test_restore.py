"""Restoring a pingsvc export: ids kept into an empty database, the round trip, idempotent
into a database that has rows of its own, malformed files refused by line."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from pingsvc import services
from pingsvc.db import Database
from pingsvc.models import Account, Mention, Site, Webhook
from pingsvc.portability import restore as restore_module
from pingsvc.portability.export import export
from pingsvc.portability.importer import ImportFormatError
from pingsvc.portability.restore import restore
from tests.portability.conftest import WEBHOOK_SECRET, populate
from tests.support.mentions import mention_row


def dump(db: Database, site: str | None = None) -> list[str]:
    out = io.StringIO()
    export(db, out, site_host=site)
    return out.getvalue().splitlines()


def without_time(lines: list[str]) -> list[str]:
    header = json.loads(lines[0])
    assert header.pop("exported_at")
    return [json.dumps(header), *lines[1:]]


def save(tmp_path: Path, lines: list[str], name: str = "export.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_round_trip_keeps_ids_and_exports_the_same_file(
    source_app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    ids = populate(source_app)
    first = dump(services(source_app).db)
    restored = empty_db()
    report = restore(restored, [save(tmp_path, first)])
    assert report.imported == len(first) - 1 and report.skipped == 0
    second = dump(restored)
    assert without_time(second) == without_time(first)
    with restored.session() as session:
        reply = session.get(Mention, ids["reply"])
        assert reply is not None and reply.source == "https://carol.example/re"
        assert reply.parent_id == ids["parent"]
        # New rows after the restore get new ids, not the restored ones (the sequences moved).
        site = Site(host="new.example")
        session.add(site)
        session.commit()
        assert site.id > ids["other"]


def test_restoring_the_same_file_again_changes_nothing(
    source_app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    populate(source_app)
    first = dump(services(source_app).db)
    path = save(tmp_path, first)
    restored = empty_db()
    restore(restored, [path])
    again = restore(restored, [path])
    assert again.summary() == f"imported 0, updated 0, skipped {len(first) - 1} (already imported)"
    assert without_time(dump(restored)) == without_time(first)


def test_into_a_database_with_rows_of_its_own_ids_move_and_references_follow(
    source_app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    ids = populate(source_app)
    lines = dump(services(source_app).db, "blog.example")
    path = save(tmp_path, lines)
    in_file = sum('"type":"mention"' in line for line in lines)
    target = empty_db()
    with target.session() as session:
        mine = Site(host="mine.example")
        session.add(mine)
        session.flush()
        # Takes the ids the file's blog.example, reply and parent have.
        session.add_all(
            mention_row(mine.id, "https://mine.example/p", source=f"https://m.example/{n}")
            for n in range(ids["copy"] + 1)
        )
        session.commit()
    report = restore(target, [path])
    assert report.skipped == 0
    with target.session() as session:
        blog = session.scalars(sa.select(Site).where(Site.host == "blog.example")).one()
        assert blog.id != ids["blog"] and blog.owner is not None
        assert blog.owner.email == "owner@example.org" and blog.owner.password_hash is None
        reply = session.scalars(
            sa.select(Mention).where(Mention.source == "https://carol.example/re")
        ).one()
        parent = session.get(Mention, reply.parent_id)
        assert reply.id != ids["reply"] and reply.site_id == blog.id
        assert parent is not None and parent.source == "https://dave.example/post"
        count = session.scalar(sa.select(sa.func.count()).select_from(Mention))
        assert count == ids["copy"] + 1 + in_file
    assert restore(target, [path]).imported == 0


def test_a_newer_copy_in_the_file_updates_the_row_and_an_older_one_does_not(
    app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    ids = populate(app)
    lines = dump(services(app).db)
    restored = empty_db()
    restore(restored, [save(tmp_path, lines)])

    def edited(updated_at: str) -> Path:
        out = []
        for line in lines:
            record = json.loads(line)
            if record.get("type") == "mention" and record["id"] == ids["reply"]:
                record.update(status="deleted", updated_at=updated_at)
            out.append(json.dumps(record))
        return save(tmp_path, out, f"edited-{updated_at[:4]}.jsonl")

    older = restore(restored, [edited("2001-01-01T00:00:00Z")])
    assert older.updated == 0
    newer = restore(restored, [edited("2030-01-01T00:00:00Z")])
    assert newer.updated == 1 and newer.imported == 0
    with restored.session() as session:
        reply = session.get(Mention, ids["reply"])
        assert reply is not None and reply.status == "deleted"
        assert reply.parent_id == ids["parent"]


def test_a_restored_webhook_gets_a_new_secret(
    app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    populate(app)
    restored = empty_db()
    restore(restored, [save(tmp_path, dump(services(app).db))])
    with restored.session() as session:
        hook = session.scalars(sa.select(Webhook)).one()
        assert hook.url == "https://hooks.example/in"
        assert hook.secret and hook.secret != WEBHOOK_SECRET
        assert session.scalars(sa.select(Account.password_hash)).all() == [None]


def test_a_site_export_restores_into_another_service(
    source_app: Flask, empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    populate(source_app)
    first = dump(services(source_app).db, "other.example")
    restored = empty_db()
    restore(restored, [save(tmp_path, first)])
    assert without_time(dump(restored, "other.example")) == without_time(first)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 5: not JSON"),
        ('{"type": "planet", "id": 1}', "line 5: not a record of a pingsvc export"),
        ('{"type": "site", "id": 99, "host": 7}', "line 5: host must be a string"),
        ('{"type": "site", "id": 99, "host": "x.example", "colour": 1}', "no field 'colour'"),
        (
            '{"type": "site", "id": 99, "host": "x.example", "created_at": "yesterday"}',
            "line 5: created_at",
        ),
        ('{"type": "mention", "id": 99, "site_id": 1}', "line 5: a mention record needs"),
    ],
)
def test_a_malformed_line_is_named_and_nothing_of_its_batch_is_stored(
    backend: str,
    empty_db: Callable[[], Database],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
    message: str,
) -> None:
    monkeypatch.setattr(restore_module, "BATCH_SIZE", 2)
    lines = [
        '{"format": "pingsvc-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}',
        '{"type": "site", "id": 1, "host": "a.example"}',
        '{"type": "site", "id": 2, "host": "b.example"}',
        '{"type": "site", "id": 3, "host": "c.example"}',
        bad,
        '{"type": "site", "id": 5, "host": "e.example"}',
    ]
    db = empty_db()
    with pytest.raises(ImportFormatError, match=message):
        restore(db, [save(tmp_path, lines)])
    with db.session() as session:
        # Lines 2-3 were a batch of their own; line 4 shared its batch with the bad line 5.
        assert session.scalars(sa.select(Site.host).order_by(Site.id)).all() == [
            "a.example",
            "b.example",
        ]


def test_a_batch_the_database_refuses_is_not_stored(
    empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    lines = [
        '{"format": "pingsvc-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}',
        '{"type": "site", "id": 1, "host": "a.example"}',
        '{"type": "block_rule", "id": 1, "site_id": 1, "kind": "domain", "value": "x.example"}',
        '{"type": "block_rule", "id": 1, "site_id": 1, "kind": "domain", "value": "y.example"}',
    ]
    db = empty_db()
    with pytest.raises(ImportFormatError, match="lines 2-4: the database refused them"):
        restore(db, [save(tmp_path, lines)])
    with db.session() as session:
        assert session.scalars(sa.select(Site)).all() == []


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ('{"links": []}', "line 1: not a pingsvc export"),
        ('{"format": "pingsvc-export", "version": 2}', "version 2 of the export format"),
        ("", "the file is empty"),
    ],
)
def test_a_file_that_is_no_pingsvc_export_is_refused(
    app: Flask, tmp_path: Path, first: str, message: str
) -> None:
    path = tmp_path / "x.json"
    path.write_text(first)
    with pytest.raises(ImportFormatError, match=message):
        restore(services(app).db, [path])


def test_a_record_whose_site_is_not_in_the_file_is_skipped_with_the_reason(
    app: Flask, tmp_path: Path
) -> None:
    lines = [
        '{"format": "pingsvc-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}',
        '{"type": "feed", "id": 1, "site_id": 42, "url": "https://x.example/feed"}',
    ]
    report = restore(services(app).db, [save(tmp_path, lines)])
    assert report.summary() == "imported 0, updated 0, skipped 1 (its site is not in the file)"


def test_pingsvc_import_restores_an_export_without_site_and_says_what_it_did(
    app: Flask, empty_db: Callable[[], Database], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pingsvc.cli import main

    ids = populate(app)
    path = save(tmp_path, dump(services(app).db))
    restored = empty_db()
    monkeypatch.setenv("PINGSVC_DATABASE_URL", restored.url)
    runner = CliRunner()
    done = runner.invoke(main, ["import", str(path)])
    assert done.exit_code == 0, done.output
    total = len(path.read_text().splitlines()) - 1
    assert done.stdout.strip() == f"imported {total}, updated 0, skipped 0"
    again = runner.invoke(main, ["import", str(path)])
    assert again.stdout.strip() == f"imported 0, updated 0, skipped {total} (already imported)"
    with restored.session() as session:
        mention = session.get(Mention, ids["imported"])
        assert mention is not None and mention.private and mention.origin_id == "1234567"
    broken = save(tmp_path, [*path.read_text().splitlines()[:3], "{oops"], "broken.jsonl")
    failed = runner.invoke(main, ["import", str(broken)])
    assert failed.exit_code == 1 and "broken.jsonl: line 4: not JSON" in failed.output
    assert "Traceback" not in failed.output


def test_user_add_gives_a_restored_account_its_password(
    app: Flask, empty_db: Callable[[], Database], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from werkzeug.security import check_password_hash

    from pingsvc.cli import main

    populate(app)
    restored = empty_db()
    restore(restored, [save(tmp_path, dump(services(app).db))])
    monkeypatch.setenv("PINGSVC_DATABASE_URL", restored.url)
    runner = CliRunner()
    command = ["user", "add", "owner@example.org", "--password-stdin"]
    done = runner.invoke(main, command, input="new-password\n")
    assert done.exit_code == 0 and "set the password of owner@example.org" in done.stdout
    with restored.session() as session:
        account = session.scalars(sa.select(Account)).one()
        assert account.password_hash and check_password_hash(account.password_hash, "new-password")
    again = runner.invoke(main, command, input="other-password\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_restored_content_is_sanitized_as_received_content_is(
    empty_db: Callable[[], Database], tmp_path: Path
) -> None:
    hostile = '<p>hi<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:x">'
    record = {
        "type": "mention", "id": 1, "site_id": 1, "source": "https://evil.example/p",
        "target": "https://a.example/", "target_key": "a.example", "content_html": hostile,
        "received_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    lines = [
        '{"format": "pingsvc-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}',
        '{"type": "site", "id": 1, "host": "a.example"}',
        json.dumps(record),
    ]
    db = empty_db()
    restore(db, [save(tmp_path, lines)])
    with db.session() as session:
        stored = session.scalars(sa.select(Mention.content_html)).one()
    assert stored is not None and stored.startswith("<p>hi")
    for bad in ("script", "onerror", "javascript"):
        assert bad not in stored


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_restoring_on_a_terminal_shows_a_progress_bar_of_records(
    app: Flask,
    empty_db: Callable[[], Database],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pingsvc import create_app
    from pingsvc.portability import command

    populate(app)
    path = save(tmp_path, dump(services(app).db))
    monkeypatch.setattr(restore_module, "BATCH_SIZE", 5)
    restored = empty_db()
    monkeypatch.setenv("PINGSVC_DATABASE_URL", restored.url)
    terminal = _Terminal()
    monkeypatch.setattr(command.sys, "stderr", terminal)
    other = create_app()
    status = command.run(other, [str(path)], None, None, False)
    services(other).db.dispose()
    assert status == 0
    assert "restoring" in terminal.getvalue() and "100%" in terminal.getvalue()
    total = len(path.read_text().splitlines()) - 1
    assert capsys.readouterr().out == f"imported {total}, updated 0, skipped 0\n"
