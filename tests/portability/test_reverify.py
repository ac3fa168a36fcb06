"""Imported WordPress comments have no source page: the dashboard's re-verify leaves them
alone (a pingback from the same file is queued as any mention)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Mention, Site
from tests.portability.helpers import import_wordpress
from tests.support.dashboard import Browser, add_account


def test_reverify_in_the_dashboard_skips_comments(app: Flask, client: FlaskClient) -> None:
    owner = add_account(app, "owner@example.org")
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.owner_id = owner
        session.commit()
    import_wordpress(app)
    with services(app).db.session() as session:
        ids = {m.origin_id: m.id for m in session.scalars(select(Mention))}
    browser = Browser(client, "owner@example.org")
    answer = browser.post(
        "/dashboard/mentions/bulk",
        {"action": "reverify", "ids": [ids["101"], ids["102"], ids["106"]]},
        follow_redirects=True,
    )
    assert "1 mention queued for verification." in answer.get_data(as_text=True)
    with services(app).db.session() as session:
        queued = {
            m.origin_id: m.queued_at is not None
            for m in session.scalars(select(Mention).where(Mention.id.in_(ids.values())))
        }
    assert queued["106"] is True
    assert queued["101"] is False and queued["102"] is False
