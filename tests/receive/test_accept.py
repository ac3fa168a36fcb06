"""receive.accept.check reads the site and its block rules in one statement, on SQLite and
PostgreSQL alike: nothing is cached, so a rule or a site added a moment ago applies at once."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.errors import Blocked, TargetNotSupported
from pingsvc.models import BlockRule, Mention, Site
from pingsvc.receive.accept import _upsert, accept, check
from tests.conftest import TARGET, make_app


def _accept(app: Flask, source: str, target: str = TARGET) -> list[int]:
    queued: list[int] = []
    accept(services(app).db, source, target, "webmention", queued.append)
    return queued


def _add(app: Flask, *rows: object) -> None:
    with services(app).db.session() as session:
        session.add_all(rows)
        session.commit()


def test_block_rules_refuse_at_once_by_url_domain_parent_domain_and_for_every_site(
    either_app: Flask,
) -> None:
    with services(either_app).db.session() as session:
        site_id = session.query(Site.id).filter_by(host="blog.example").scalar()
    assert _accept(either_app, "https://ok.example/a")
    _add(
        either_app,
        BlockRule(site_id=site_id, kind="url", value="https://ok.example/b"),
        BlockRule(site_id=site_id, kind="domain", value="spam.example"),
        BlockRule(site_id=None, kind="domain", value="everywhere.example"),
    )
    for source in (
        "https://ok.example/b",
        "https://spam.example/x",
        "https://deep.www.spam.example/x",
        "https://everywhere.example/x",
    ):
        with pytest.raises(Blocked, match="not accepted"):
            _accept(either_app, source)
    # Only what a rule names: the page next door, a look-alike domain, the bare TLD.
    assert _accept(either_app, "https://ok.example/c")
    assert _accept(either_app, "https://notspam.example/x")


def test_another_sites_rule_does_not_apply_and_a_new_site_is_accepted_at_once(
    either_app: Flask,
) -> None:
    target = "https://other.example/post"
    with pytest.raises(TargetNotSupported, match="other.example"):
        _accept(either_app, "https://spam.example/x", target)
    _add(either_app, Site(host="other.example"))
    with services(either_app).db.session() as session:
        blog_id = session.query(Site.id).filter_by(host="blog.example").scalar()
    _add(either_app, BlockRule(site_id=blog_id, kind="domain", value="spam.example"))
    assert _accept(either_app, "https://spam.example/x", target)
    with pytest.raises(Blocked):
        _accept(either_app, "https://spam.example/x")


def test_the_one_statement_accept_on_postgresql_stores_what_the_session_path_stores(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL accepts in one hand-written statement; SQLite through the session (check,
    _upsert, commit). Both must write the same row, Mention's Python-side defaults included,
    and answer a re-send the same way."""
    app = make_app(production_settings, monkeypatch)
    db = services(app).db
    try:
        with db.session() as session:
            fast = accept(db, "https://a.example/one", TARGET, "webmention", lambda _: None)
            source, target, site_id = check(session, "https://a.example/two", TARGET)
            slow_id, _ = _upsert(session, site_id, source, target, "webmention")
            session.commit()
            rows = {
                m.id: m
                for m in session.scalars(
                    select(Mention).where(Mention.id.in_([fast.mention_id, slow_id]))
                )
            }
            skip = {"id", "source", "queued_at", "received_at", "updated_at"}
            columns = [c.key for c in Mention.__table__.columns if c.key not in skip]
            assert {c: getattr(rows[fast.mention_id], c) for c in columns} == {
                c: getattr(rows[slow_id], c) for c in columns
            }
            again = accept(db, "https://a.example/one", TARGET, "pingback", lambda _: None)
            assert (again.mention_id, again.coalesced) == (fast.mention_id, True)
            session.rollback()
            assert session.get(Mention, fast.mention_id).protocol == "pingback"  # type: ignore[union-attr]
    finally:
        db.dispose()
