"""A private mention (webmention.io's private: true) is in no public answer: the read API in
every shape and its counts, the widget, the status page, getPingbacks. The site's token
shows it, flagged, as does the dashboard."""

from __future__ import annotations

import xmlrpc.client

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Mention
from pingsvc.tokens import rotate
from tests.portability.helpers import LINKS_POST, WM_POST, import_webmention_io
from tests.support.dashboard import add_account, login
from tests.support.receiving import site_token

SECRETS = ("judy.example", "Between us", "erin.example", "Only for you")
PUBLIC_PATHS = (
    "/api/mentions.jf2",
    "/api/mentions.json",
    "/api/mentions.atom",
    "/api/mentions.html",
    "/embed/mentions.html",
)


@pytest.fixture
def imported(app: Flask) -> dict[str, int]:
    import_webmention_io(app, "webmention-io-feed.jf2", "webmention-io-links.json")
    with services(app).db.session() as session:
        return {m.origin_id or "": m.id for m in session.scalars(select(Mention))}


def test_no_public_answer_holds_a_private_mention(
    client: FlaskClient, imported: dict[str, int]
) -> None:
    for path in PUBLIC_PATHS:
        for post in (WM_POST, LINKS_POST):
            response = client.get(path, query_string={"target": post})
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            assert not [s for s in SECRETS if s in body], (path, post)
    counts = client.get("/api/count.json", query_string={"target": WM_POST}).get_json()
    assert counts == {"count": 4, "type": {"like": 1, "mention": 1, "reply": 1, "repost": 1}}


def test_the_status_page_hides_a_private_mentions_details(
    client: FlaskClient, imported: dict[str, int]
) -> None:
    document = client.get(f"/webmention/status/{imported['720000']}").get_json()
    assert "source" not in document and "target" not in document
    public = client.get(f"/webmention/status/{imported['720001']}").get_json()
    assert public["source"] == "https://ivan.example/replies/2020-01-07"


def test_get_pingbacks_leaves_private_sources_out(
    client: FlaskClient, imported: dict[str, int]
) -> None:
    body = xmlrpc.client.dumps((WM_POST,), "pingback.extensions.getPingbacks").encode()
    response = client.post("/xmlrpc", data=body, content_type="text/xml")
    (sources,), _ = xmlrpc.client.loads(response.data)
    assert "https://judy.example/replies/secret" not in sources
    assert "https://ivan.example/replies/2020-01-07" in sources


def test_the_owners_token_shows_private_mentions_flagged(
    app: Flask, client: FlaskClient, imported: dict[str, int]
) -> None:
    token = site_token(app)
    owner = client.get(f"/api/mentions.jf2?target={WM_POST}&token={token}").get_json()
    private = {c["wm-id"]: c["wm-private"] for c in owner["children"]}
    assert private[imported["720000"]] is True
    assert private[imported["720001"]] is False
    site_wide = client.get(f"/api/mentions.json?domain=blog.example&token={token}").get_json()
    flagged = {link["id"]: link["private"] for link in site_wide["links"]}
    assert flagged[imported["610005"]] is True and len(flagged) == 10
    counted = client.get(f"/api/count.json?target={WM_POST}&token={token}").get_json()
    assert counted["count"] == 5
    status = client.get(f"/webmention/status/{imported['720000']}?token={token}").get_json()
    assert status["source"] == "https://judy.example/replies/secret"


def test_another_sites_token_does_not_open_them(
    app: Flask, client: FlaskClient, imported: dict[str, int]
) -> None:
    from pingsvc.models import Site

    with services(app).db.session() as session:
        other = Site(host="other.example")
        session.add(other)
        session.flush()
        token = rotate(other)
        session.commit()
    body = client.get(f"/api/mentions.jf2?target={WM_POST}&token={token}").get_data(as_text=True)
    assert "judy.example" not in body


def test_the_dashboard_lists_private_mentions_to_the_owner(
    app: Flask, client: FlaskClient, imported: dict[str, int]
) -> None:
    owner = add_account(app, "owner@example.org")
    with services(app).db.session() as session:
        from pingsvc.models import Site

        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.owner_id = owner
        session.commit()
    login(client, "owner@example.org")
    page = client.get(f"/dashboard/mentions/{imported['720000']}")
    assert page.status_code == 200
    assert "judy.example" in page.get_data(as_text=True)
