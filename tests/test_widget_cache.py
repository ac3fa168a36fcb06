"""The widget fragment is served from the read API's response cache, keyed by the rows'
version stamp: a repeat is not rebuilt, and any change to the post's mentions shows at once."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import update

from pingsvc import services, widget
from pingsvc.models import HELD, Mention
from tests.support.mentions import add_mention

TARGET = "https://blog.example/post/1"


def _ids(client: FlaskClient, **params: str) -> list[int]:
    response = client.get("/embed/mentions.html", query_string={"target": TARGET, **params})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    tree = LexborHTMLParser(response.get_data(as_text=True))
    return [int(node.attributes["data-id"] or 0) for node in tree.css("article[data-id]")]


def test_a_repeated_fragment_comes_from_the_cache_and_a_moderation_shows_at_once(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = add_mention(app, TARGET), add_mention(app, TARGET)
    built: list[int] = []
    render = widget._render_fragment

    def counting(*args: object) -> str:
        built.append(1)
        return render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(widget, "_render_fragment", counting)
    assert sorted(_ids(client)) == [first, second]
    assert sorted(_ids(client)) == [first, second]
    assert len(built) == 1
    assert _ids(client, theme="dark")  # other parameters, another entry
    assert len(built) == 2

    with services(app).db.session() as session:
        session.execute(update(Mention).where(Mention.id == second).values(status=HELD))
        session.commit()
    assert _ids(client) == [first]
    assert len(built) == 3
