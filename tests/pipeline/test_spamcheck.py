"""The spam score as a site sees it (pipeline.spamcheck): the words its reports taught are
looked up only once it has reports, and the score is the one the scorer gives."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from pingsvc import services, spam
from pingsvc.extract.entry import MentionData
from pingsvc.models import Mention, ModerationAction, SpamToken, utcnow
from pingsvc.pipeline import spamcheck
from pingsvc.receive.accept import accept
from tests.conftest import TARGET

TEXT = "Cheap tomatoes grown indoors under a lamp, watered less often than I thought"


def _data() -> MentionData:
    return MentionData(property="mention", content_text=TEXT)  # type: ignore[call-arg]


def _evaluate(app: Flask, mention_id: int, site_id: int) -> spam.Score:
    with services(app).db.engine.connect() as conn:
        return spamcheck.evaluate(
            conn, mention_id, site_id, "friend.example", TARGET, _data(), utcnow()
        )


def _ids(app: Flask) -> tuple[int, int]:
    db = services(app).db
    mention_id = accept(
        db, "https://friend.example/post", TARGET, "webmention", lambda _id: None
    ).mention_id
    with db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        return mention_id, mention.site_id


def test_a_site_without_reports_scores_without_reading_words(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    mention_id, site_id = _ids(app)
    looked_up: list[Any] = []
    monkeypatch.setattr(spamcheck, "learned", lambda *a: looked_up.append(a) or {})
    # The fast path: no words are read for a site with no reports (the scorer reads its
    # own, once).
    monkeypatch.setattr(spam, "tokens", lambda *a: looked_up.append(a) or set())
    scored = _evaluate(app, mention_id, site_id)
    assert looked_up == []
    with services(app).db.engine.connect() as conn:
        history, reports = spamcheck.history(
            conn, mention_id, site_id, "friend.example", None, utcnow()
        )
    assert reports == 0
    expected = spam.score(
        spam.Evidence(source_host="friend.example", target=TARGET, text=TEXT, history=history)
    )
    assert scored == expected


def test_a_site_with_reports_scores_with_the_words_they_taught(app: Flask) -> None:
    mention_id, site_id = _ids(app)
    untaught = _evaluate(app, mention_id, site_id)
    with services(app).db.session() as session:
        session.add(ModerationAction(actor="owner", site_id=site_id, action="spam"))
        session.add_all(
            SpamToken(site_id=site_id, token=word, reports=3)
            for word in ("cheap", "tomatoes", "indoors", "lamp")
        )
        session.commit()
    taught = _evaluate(app, mention_id, site_id)
    assert taught.value > untaught.value
    assert any("report" in reason for reason in taught.reasons)
