"""An imported WordPress post in the widget: its comments threaded as on the blog, its
pingbacks and trackbacks labelled as WordPress labels them."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Mention
from tests.portability.helpers import WP_POST, import_wordpress


def test_imported_comments_are_threaded_and_linkbacks_labelled(
    app: Flask, client: FlaskClient
) -> None:
    import_wordpress(app)
    with services(app).db.session() as session:
        ids = {m.origin_id: m.id for m in session.scalars(select(Mention))}
    response = client.get("/embed/mentions.html", query_string={"target": WP_POST})
    assert response.status_code == 200
    tree = LexborHTMLParser(response.get_data(as_text=True))
    top = tree.css_first(f'article[data-id="{ids["101"]}"]')
    assert top is not None and top.parent is not None
    # A reply is listed in the <ol> beside its parent's article, in the parent's <li>.
    nested = [
        int(node.attributes["data-id"] or 0) for node in top.parent.css("ol article[data-id]")
    ]
    assert ids["102"] in nested  # Bob's reply sits under Alice's comment
    text = tree.body.text() if tree.body else ""
    assert "Agreed with Alice." in text
    assert "Trackback:" in text and "Pingback:" in text
    assert "I take it back." not in text and "Waiting for moderation" not in text  # trash, held
