"""accept() and the 449 policy on both databases: PostgreSQL answers it inside its one
statement, SQLite in its session; neither stores a row for a refused request, and a
request's code, realm and vouch are stored with the mention."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.errors import VouchRequired
from pingsvc.models import Mention, Site
from pingsvc.receive.accept import Extras, accept
from tests.conftest import TARGET
from tests.support.mentions import add, mention_row, site_id


def _require_vouch(app: Flask) -> None:
    with services(app).db.session() as session:
        site = session.scalars(select(Site).where(Site.host == "blog.example")).one()
        site.require_vouch = True
        session.commit()


def _count(app: Flask) -> int:
    with services(app).db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Mention)) or 0)


def _accept(app: Flask, source: str, extras: Extras) -> int:
    db = services(app).db
    return accept(db, source, TARGET, "webmention", lambda *_: None, None, extras).mention_id


def test_a_new_domain_without_a_vouch_gets_449_and_nothing_is_stored(either_app: Flask) -> None:
    _require_vouch(either_app)
    with pytest.raises(VouchRequired) as refused:
        _accept(either_app, "https://new.example/post", Extras())
    assert refused.value.status == 449
    assert _count(either_app) == 0


def test_a_vouch_or_an_approved_domain_is_taken(either_app: Flask) -> None:
    _require_vouch(either_app)
    add(either_app, mention_row(site_id(either_app), source="https://known.example/a"))
    before = _count(either_app)
    _accept(either_app, "https://known.example/b", Extras())
    vouch = "https://known.example/friends"
    mention_id = _accept(either_app, "https://new.example/post", Extras("c0de", "Friends", vouch))
    assert _count(either_app) == before + 2
    with services(either_app).db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        assert (mention.code, mention.realm, mention.vouch) == ("c0de", "Friends", vouch)


def test_without_the_policy_no_vouch_is_asked_for(either_app: Flask) -> None:
    assert _accept(either_app, "https://new.example/post", Extras()) > 0
