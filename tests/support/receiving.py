"""A webmention received through the app's /webmention and verified in this process (no
worker), and the site's API token to read what it stored: the private and vouch tests
send and read mentions end to end this way."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import Mention, Site
from pingsvc.pipeline import steps
from pingsvc.tokens import rotate

TARGET = "https://blog.example/post/1"  # tests.conftest's, on the site every app registers


def receive(client: FlaskClient, source: str, **extra: str) -> int:
    """POST a webmention of TARGET from `source` (with `extra` fields: code, realm, vouch);
    the id of the mention it queued."""
    response = client.post("/webmention", data={"source": source, "target": TARGET, **extra})
    assert response.status_code == 201, response.get_json()
    return int(response.headers["Location"].rsplit("/", 1)[1])


def verify(app: Flask, mention_id: int) -> Mention:
    """Run the worker's verification of the mention here; the mention as it stored it."""
    shared = services(app)
    steps.process_mention(shared.db, mention_id, shared.pipeline)
    with shared.db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        return mention


def site_token(app: Flask, host: str = "blog.example") -> str:
    """A new API token of the registered site `host` (its old one stops working)."""
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        assert site is not None
        token = rotate(site)
        session.commit()
    return token
