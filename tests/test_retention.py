"""Retention and erasure (pingsvc.retention): the per-site rules delete old rejected mentions
and erase old deleted ones to tombstones, newer ones and other sites untouched; `pingsvc
forget` erases a domain's or an author's fields and keeps a block rule; the change feed
reports every one of those deletes; the CLI's bad input gets clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import retention, services
from pingsvc.avatars import store as avatar_store
from pingsvc.cli import main
from pingsvc.models import (
    BlockRule,
    Mention,
    MentionLink,
    ModerationAction,
    Site,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from pingsvc.tokens import rotate
from tests.support.mentions import add, mention_row, site_id

NOW = datetime(2026, 6, 1, 12, 0, 0)
POST = "https://blog.example/post/1"
OTHER = "https://other.example/post/1"


def aged(site: int, status: str, days: float, target: str = POST, **fields: Any) -> Mention:
    """A mention in `status` since `days` before NOW, with content, author and photo."""
    when = NOW - timedelta(days=days)
    return mention_row(
        site, target, status=status, received=when - timedelta(days=1), updated_at=when,
        **fields,
    )  # fmt: skip


def token_for(app: Flask, host: str) -> str:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        assert site is not None
        token = rotate(site)
        session.commit()
        return token


def feed_ops(client: FlaskClient, host: str, token: str) -> dict[int, str]:
    """The change feed from the start: each mention's last op."""
    answer = client.get(f"/api/changes.json?domain={host}&token={token}&since=0")
    assert answer.status_code == 200, answer.get_json()
    return {change["wm-id"]: change["op"] for change in answer.get_json()["changes"]}


def rows(app: Flask) -> dict[int, Mention]:
    with services(app).db.session() as session:
        found = {m.id: m for m in session.scalars(select(Mention))}
        session.expunge_all()
        return found


def set_rules(app: Flask, host: str, rejected: int, deleted: int) -> None:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        assert site is not None
        site.retain_rejected_days, site.retain_deleted_days = rejected, deleted
        session.commit()


def test_a_run_deletes_old_rejected_and_erases_old_deleted_only(either_app: Flask) -> None:
    app, client = either_app, either_app.test_client()
    blog, other = site_id(app, "blog.example"), site_id(app, "other.example")
    set_rules(app, "blog.example", rejected=30, deleted=10)
    ids = add(
        app,
        aged(blog, "rejected", 40),  # 0: due
        aged(blog, "rejected", 20),  # 1: too new
        aged(blog, "deleted", 11, extra={"syndication": ["https://silo.example/1"]}),  # 2: due
        aged(blog, "deleted", 5),  # 3: too new
        aged(blog, "approved", 400),  # 4: not a state the rules touch
        aged(other, "rejected", 400, OTHER),  # 5: a site without rules
        aged(other, "deleted", 400, OTHER),  # 6
        aged(blog, "rejected", 40, queued_at=NOW),  # 7: being verified again: left for now
    )
    with services(app).db.session() as session:
        session.add(MentionLink(mention_id=ids[2], kind="self", key="a" * 40))
        hook = Webhook(site_id=blog, url="https://hooks.blog.example/", secret="s")
        session.add(hook)
        session.flush()
        session.add(
            WebhookDelivery(
                webhook_id=hook.id, mention_id=ids[2], event="new", status="delivered",
                payload={"source": "x", "post": {"content": {"text": "kept words"}}},
            )
        )  # fmt: skip
        session.commit()
    before = rows(app)
    token = token_for(app, "blog.example")
    erased: list[retention.Erased] = []

    with services(app).db.session() as session:
        results = retention.run(session, now=NOW, hooks=[erased.extend])

    assert [(r.host, r.deleted, r.erased) for r in results] == [("blog.example", 1, 1)]
    after = rows(app)
    assert ids[0] not in after  # the old rejected mention is gone
    for kept in (ids[1], ids[3], ids[4], ids[5], ids[6], ids[7]):
        assert after[kept].content_text == before[kept].content_text
        assert after[kept].author_name == before[kept].author_name
        assert after[kept].status == before[kept].status
    stone = after[ids[2]]
    assert (stone.source, stone.target, stone.status) == (
        before[ids[2]].source, before[ids[2]].target, "deleted",
    )  # fmt: skip
    assert stone.received_at == before[ids[2]].received_at
    for column in retention.ERASED_COLUMNS:
        assert getattr(stone, column) is None, column
    assert stone.extra == {}
    # The hooks hear of both (an avatar store drops the files it keeps for them).
    assert sorted((e.mention_id, e.author_photo) for e in erased) == [
        (ids[0], before[ids[0]].author_photo),
        (ids[2], before[ids[2]].author_photo),
    ]
    with services(app).db.session() as session:
        assert (
            session.scalars(select(MentionLink).where(MentionLink.mention_id == ids[2])).all() == []
        )
        payload = session.scalars(select(WebhookDelivery.payload)).one()
        assert payload["post"] == {} and "kept words" not in str(payload)
    # The change feed tells a cache to drop both.
    ops = feed_ops(client, "blog.example", token)
    assert ops[ids[0]] == "delete" and ops[ids[2]] == "delete"
    assert ids[1] not in ops and ids[4] not in ops

    # Idempotent: nothing more is due.
    with services(app).db.session() as session:
        again = retention.run(session, now=NOW)
    assert [(r.deleted, r.erased) for r in again] == [(0, 0)]


def test_without_rules_a_run_changes_nothing(app: Flask) -> None:
    blog = site_id(app, "blog.example")
    ids = add(app, aged(blog, "rejected", 4000), aged(blog, "deleted", 4000))
    with services(app).db.session() as session:
        assert retention.run(session, now=NOW) == []
    assert sorted(rows(app)) == sorted(ids)


@pytest.fixture
def cli(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_the_retention_commands_set_the_rules_and_run_them(app: Flask, cli: CliRunner) -> None:
    blog = site_id(app, "blog.example")
    old = utcnow() - timedelta(days=40)
    ids = add(app, mention_row(blog, status="rejected", received=old, updated_at=old))

    bad = cli.invoke(main, ["retention", "set", "blog.example", "--rejected-days", "-3"])
    assert bad.exit_code == 1 and "from 0 (keep forever)" in bad.output
    unknown = cli.invoke(main, ["retention", "set", "nope.example", "--rejected-days", "3"])
    assert unknown.exit_code == 1 and "not registered" in unknown.output

    done = cli.invoke(main, ["retention", "set", "blog.example", "--rejected-days", "30"])
    assert done.exit_code == 0, done.output
    assert "rejected mentions kept 30 day(s), deleted ones kept forever" in done.output
    ran = cli.invoke(main, ["retention", "run"])
    assert ran.exit_code == 0, ran.output
    assert "blog.example: deleted 1 rejected mention(s)" in ran.output
    assert ids[0] not in rows(app)
    with services(app).db.session() as session:
        logged = session.scalars(select(ModerationAction.action)).all()
    assert "retention" in logged


def test_forget_a_domain_from_the_cli(app: Flask, cli: CliRunner, client: FlaskClient) -> None:
    blog = site_id(app, "blog.example")
    ids = add(
        app,
        mention_row(blog, source="https://gone.example/a"),
        mention_row(blog, source="https://www.gone.example/b", status="held"),
        mention_row(blog, source="https://kept.example/c"),
    )
    token = token_for(app, "blog.example")
    archive = avatar_store.from_config(app.config)  # the archived avatars they show
    keys = {i: rows(app)[i].avatar_key for i in ids}
    for key in keys.values():
        archive.put(f"{key}-96.webp", b"RIFF")

    done = cli.invoke(main, ["forget", "--site", "blog.example", "--domain", "gone.example"])

    assert done.exit_code == 0, done.output
    assert "forgot domain gone.example: erased 2 mention(s)" in done.output
    after = rows(app)
    for gone in ids[:2]:
        assert after[gone].status == "deleted"
        assert after[gone].author_name is None and after[gone].author_photo is None
        assert after[gone].content_html is None and after[gone].extra == {}
    assert after[ids[2]].author_name is not None and after[ids[2]].status == "approved"
    # Their avatars go too; the kept mention's stays.
    assert [after[i].avatar_key for i in ids[:2]] == [None, None]
    assert after[ids[2]].avatar_key == keys[ids[2]]
    assert archive.get(f"{keys[ids[2]]}-96.webp") is not None
    for gone in ids[:2]:
        if keys[gone] != keys[ids[2]]:
            assert archive.get(f"{keys[gone]}-96.webp") is None
    with services(app).db.session() as session:
        rule = session.scalars(select(BlockRule)).one()
        assert (rule.site_id, rule.kind, rule.value) == (blog, "domain", "gone.example")
        log = {a.action: a.detail for a in session.scalars(select(ModerationAction))}
    assert log["forget"] == "domain gone.example; 2 mention(s) erased"
    assert "block" in log
    ops = feed_ops(client, "blog.example", token)
    assert ops[ids[0]] == "delete" and ops[ids[1]] == "delete"
    # And it can't send any more.
    again = client.post("/webmention", data={"source": "https://gone.example/new", "target": POST})
    assert again.status_code == 400
    assert "not accepted by the site's owner" in again.get_json()["error_description"]


def test_forget_an_author_from_the_cli(app: Flask, cli: CliRunner) -> None:
    blog = site_id(app, "blog.example")
    ids = add(
        app,
        mention_row(blog, source="https://silo.example/1", author_url="https://ada.example"),
        mention_row(blog, source="https://silo.example/2", author_url="https://bo.example/"),
    )
    done = cli.invoke(
        main, ["forget", "--site", "blog.example", "--author-url", "https://ada.example/"]
    )
    assert done.exit_code == 0, done.output
    after = rows(app)
    assert after[ids[0]].author_url is None and after[ids[0]].status == "deleted"
    assert after[ids[1]].author_url == "https://bo.example/"
    with services(app).db.session() as session:
        rule = session.scalars(select(BlockRule)).one()
    assert (rule.kind, rule.value) == ("author", "https://ada.example/")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["forget", "--site", "blog.example"], "exactly one of --domain"),
        (
            ["forget", "--site", "blog.example", "--domain", "a.example", "--author-url", "x"],
            "exactly one of --domain",
        ),
        (["forget", "--site", "nope.example", "--domain", "a.example"], "not registered"),
        (["forget", "--site", "blog.example", "--domain", "nodot"], "domain name such as"),
        (["forget", "--site", "blog.example", "--author-url", "ftp://x.example/"], "author"),
    ],
)
def test_forget_says_what_to_fix(app: Flask, cli: CliRunner, args: list[str], said: str) -> None:
    site_id(app, "blog.example")
    answer = cli.invoke(main, args)
    assert answer.exit_code != 0
    assert said in answer.output
    assert "Traceback" not in answer.output


def test_the_beat_task_applies_the_rules_with_the_apps_hooks(app: Flask) -> None:
    from worker import tasks
    from worker.schedule import beat_schedule

    entry = beat_schedule({"SWEEP_INTERVAL": 60, "REVERIFY_AFTER_DAYS": 0})["apply-retention-rules"]
    assert entry == {"task": "pingsvc.retention", "schedule": 3600.0}
    blog = site_id(app, "blog.example")
    set_rules(app, "blog.example", rejected=0, deleted=3)
    old = utcnow() - timedelta(days=4)
    ids = add(app, mention_row(blog, status="deleted", received=old, updated_at=old))
    heard: list[retention.Erased] = []
    retention.erase_hooks(app.extensions).append(heard.extend)
    with app.app_context():
        assert tasks.apply_retention() == 1
    assert [e.mention_id for e in heard] == ids
    assert rows(app)[ids[0]].content_text is None
