"""pingsvc export: the header, every kind of row with every stored field, no secrets, one
site or all, streamed; `pingsvc export` on the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from pingsvc import services
from pingsvc.cli import main
from pingsvc.db import Base
from pingsvc.models import Mention
from pingsvc.portability import layout
from pingsvc.portability.export import UnknownSite, export
from tests.portability.conftest import WEBHOOK_SECRET, populate


def records(app: Flask, site: str | None = None) -> list[dict[str, Any]]:
    out = io.StringIO()
    count = export(services(app).db, out, site_host=site)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) - 1
    return lines


def test_the_first_record_is_the_versioned_header(source_app: Flask) -> None:
    populate(source_app)
    header = records(source_app)[0]
    assert header["format"] == "pingsvc-export" and header["version"] == 1
    assert header["exported_at"].endswith("Z") and header["site"] is None


def test_every_mention_is_there_in_its_state_with_every_stored_field(source_app: Flask) -> None:
    ids = populate(source_app)
    mentions = [r for r in records(source_app) if r.get("type") == "mention"]
    assert {m["status"] for m in mentions} == {"approved", "held", "rejected", "deleted", "pending"}
    columns = set(layout.BY_NAME["mention"].by_name)  # every column but the avatar's key
    for mention in mentions:
        named = set(mention) - {"type", "origin"} | (
            {"origin_format", "origin_id"} if "origin" in mention else set()
        )
        assert named == columns
    reply = next(m for m in mentions if m["id"] == ids["reply"])
    assert reply["parent_id"] == ids["parent"] and reply["url"] == "https://carol.example/re"
    assert reply["updated_at"] == "2025-06-01T09:30:00.123456Z"
    copy = next(m for m in mentions if m["id"] == ids["copy"])
    assert copy["duplicate_of_id"] == ids["parent"]
    assert copy["origin"] is None and copy["private"] is False
    imported = next(m for m in mentions if m["id"] == ids["imported"])
    assert imported["origin"] == {"format": "webmention-io", "id": "1234567"}
    assert imported["private"] is True


def test_every_kind_is_exported_in_dependency_order(source_app: Flask) -> None:
    populate(source_app)
    kinds = [r["type"] for r in records(source_app)[1:]]
    assert set(kinds) == set(layout.BY_NAME)
    assert kinds == sorted(kinds, key=layout.ORDER.__getitem__)


def test_secrets_stay_out_of_the_export(source_app: Flask) -> None:
    populate(source_app)
    out = io.StringIO()
    export(services(source_app).db, out)
    text = out.getvalue()
    assert WEBHOOK_SECRET not in text and "scrypt:secret-hash" not in text
    hooks = [r for r in map(json.loads, text.splitlines()) if r.get("type") == "webhook"]
    assert hooks and all("secret" not in hook for hook in hooks)


def test_a_site_export_holds_that_site_only(source_app: Flask) -> None:
    ids = populate(source_app)
    lines = records(source_app, "blog.example")
    assert lines[0]["site"] == "blog.example"
    assert [r["host"] for r in lines if r.get("type") == "site"] == ["blog.example"]
    for record in lines[1:]:
        if "site_id" in record:
            assert record["site_id"] == ids["blog"], record
    assert "other.example" not in json.dumps(lines)
    assert [r["email"] for r in lines if r.get("type") == "account"] == ["owner@example.org"]
    every = records(source_app)
    assert any(r.get("type") == "block_rule" and r["site_id"] is None for r in every)


def test_export_of_an_unknown_site_is_refused(app: Flask) -> None:
    with pytest.raises(UnknownSite, match="nowhere.example is not registered"):
        export(services(app).db, io.StringIO(), site_host="nowhere.example")


def test_every_table_is_exported_or_left_out_on_purpose() -> None:
    """A new table or column must be decided: exported, or excluded with a reason."""
    exported = {kind.table.name for kind in layout.KINDS}
    assert set(Base.metadata.tables) == exported | set(layout.NOT_EXPORTED)
    excluded = {(k.name, c) for k in layout.KINDS for c in k.excluded}
    assert excluded == {
        ("account", "password_hash"),
        ("account", "session_version"),
        ("account", "is_admin"),
        ("webhook", "secret"),
        ("mention", "avatar_key"),  # its files are in this server's archive only
    }


def test_the_command_writes_a_file_or_stdout(app: Flask, tmp_path: Path) -> None:
    populate(app)
    runner = CliRunner()
    target = tmp_path / "backup.jsonl"
    done = runner.invoke(main, ["export", "--site", "blog.example", "--output", str(target)])
    assert done.exit_code == 0, done.output
    assert "exported" in done.stderr and "blog.example" in done.stderr
    lines = target.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "pingsvc-export"
    assert not list(tmp_path.glob(".*partial"))
    piped = runner.invoke(main, ["export", "--output", "-"])
    assert piped.exit_code == 0, piped.output
    assert len(piped.stdout.splitlines()) > len(lines)


def test_the_command_says_what_is_wrong_with_an_unknown_site(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    done = CliRunner().invoke(main, ["export", "--site", "nope.example", "--output", str(target)])
    assert done.exit_code == 1
    assert "nope.example is not registered" in done.output and "Traceback" not in done.output
    assert not target.exists() and not list(tmp_path.glob(".*partial"))


def test_the_command_writes_utf8_to_stdout(app: Flask) -> None:
    populate(app)
    with services(app).db.session() as session:
        session.execute(sa.update(Mention).values(author_name="Zoë Ñandú 日本"))
        session.commit()
    piped = CliRunner().invoke(main, ["export", "--output", "-"])
    assert piped.exit_code == 0, piped.output
    assert "Zoë Ñandú 日本" in piped.stdout_bytes.decode("utf-8")
