"""The avatar archive end to end: a verified mention's author photo fetched from a page
server on 127.0.0.1, resized, served signed with long cache headers, re-fetched on
re-verification, refused when it is a bomb or no image, dropped when the mention goes."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from pingsvc import services
from pingsvc.avatars import image
from pingsvc.avatars import store as avatar_store
from pingsvc.avatars.links import AvatarLinks
from pingsvc.models import Mention
from pingsvc.pipeline import avatars as archive
from pingsvc.pipeline import steps
from pingsvc.receive.accept import accept
from tests.avatars.helpers import bomb, png
from tests.conftest import TARGET
from tests.support.dashboard import Browser, add_account, add_site
from tests.support.pageserver import PageServer

REPLY = """<article class="h-entry">
<a class="p-author h-card" href="https://alice.example/">{photo}
<span class="p-name">{name}</span></a>
<a class="u-in-reply-to" href="https://blog.example/post/1">re</a>
<p class="e-content">{text}</p></article>"""


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    archive.forget()  # the per-URL memory must not carry one test's photo into another


def reply(photo: str | None, name: str = "Alice", text: str = "Nice") -> str:
    tag = f'<img class="u-photo" src="{photo}" alt="">' if photo else ""
    return REPLY.format(photo=tag, name=name, text=text)


def verify(app: Flask, source: str) -> Mention:
    shared = services(app)
    found = accept(shared.db, source, TARGET, "webmention", lambda _id: None)
    steps.process_mention(shared.db, found.mention_id, shared.pipeline)
    with shared.db.session() as session:
        mention = session.get(Mention, found.mention_id)
        assert mention is not None
        return mention


def reverify(app: Flask, mention_id: int) -> Mention:
    shared = services(app)
    archive.forget()
    with shared.db.session() as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        mention.queued_at, mention.attempts = mention.verified_at, 0
        session.commit()
    steps.process_mention(shared.db, mention_id, shared.pipeline)
    with shared.db.session() as session:
        found = session.get(Mention, mention_id)
        assert found is not None
        return found


def author_photo(client: FlaskClient) -> str | None:
    answer = client.get("/api/mentions.jf2", query_string={"target": TARGET})
    assert answer.status_code == 200
    children = answer.get_json()["children"]
    assert len(children) == 1
    photo: str | None = children[0]["author"]["photo"]
    return photo


def stored(app: Flask, key: str, size: int = 192) -> bytes | None:
    return avatar_store.from_config(app.config).get(f"{key}-{size}.webp")


def test_the_photo_is_fetched_resized_and_served_from_the_proxy(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    photo = pages.add("/av/alice.png", png(), headers={"Content-Type": "image/png"})
    mention = verify(app, pages.add("/av/reply", reply(photo)))
    assert mention.status == "approved" and mention.avatar_key
    assert mention.author_photo == photo  # the original stays, and in extra
    assert mention.extra["avatar"] == {"original": photo, "generated": False, "reason": None}

    url = author_photo(client)
    links = AvatarLinks.from_config(app.config)
    assert url == links.url(mention.avatar_key, 192)
    assert url.startswith(f"{app.config['BASE_URL']}/avatar/")
    for size in image.SIZES:
        answer = client.get(url.replace("-192.webp", f"-{size}.webp"))
        assert answer.status_code == 200 and answer.mimetype == "image/webp"
        assert "immutable" in answer.headers["Cache-Control"]
        assert "max-age=31536000" in answer.headers["Cache-Control"]
        assert Image.open(io.BytesIO(answer.data)).size == (size, size)


def test_a_bad_signature_is_a_404_that_says_why(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    photo = pages.add("/av/sig.png", png(colour="red"), headers={"Content-Type": "image/png"})
    mention = verify(app, pages.add("/av/sig", reply(photo)))
    good = AvatarLinks.from_config(app.config).url(mention.avatar_key or "")
    forged = AvatarLinks(app.config["BASE_URL"], "another key").url(mention.avatar_key or "")
    assert client.get(good).status_code == 200
    for bad in (forged, good.replace("-192.webp", "-500.webp"), good.replace(".webp", ".png")):
        answer = client.get(bad)
        assert answer.status_code == 404
        assert answer.get_json()["error"] == "not_found"
        assert "signed" in answer.get_json()["error_description"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (bomb(), "image/png", 200, "pixel"),
        (b"<html>hello</html>", "image/png", 200, "not a readable image"),
        (b"<html>hello</html>", "text/html", 200, "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 200, "not an image"),
        (b"gone", "text/plain", 404, "404"),
    ],
    ids=["bomb", "html-as-png", "html", "svg", "missing"],
)
def test_a_broken_photo_gets_generated_initials(
    app: Flask,
    client: FlaskClient,
    pages: PageServer,
    body: bytes,
    content_type: str,
    status: int,
    reason: str,
) -> None:
    path = f"/av/broken-{content_type.replace('/', '-')}-{status}-{len(body)}"
    photo = pages.add(path, body, status=status, headers={"Content-Type": content_type})
    mention = verify(app, pages.add(f"{path}/reply", reply(photo, name="émile")))
    assert mention.status == "approved"  # an avatar never decides the verdict
    assert mention.avatar_key == image.initials_key("émile")
    assert mention.extra["avatar"]["generated"] is True
    assert reason in mention.extra["avatar"]["reason"]
    answer = client.get(author_photo(client) or "")
    assert answer.status_code == 200
    assert answer.data == image.initials("émile")[192]


def test_an_author_without_a_photo_has_photo_null(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    mention = verify(app, pages.add("/av/nophoto", reply(None)))
    assert mention.avatar_key is None
    assert author_photo(client) is None  # as webmention.io; the widget draws the initial


def test_a_photo_is_fetched_once_per_url_and_again_on_reverification(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    photo = pages.add("/av/changing.png", png(colour="blue"), headers={"Content-Type": "image/png"})
    first = verify(app, pages.add("/av/one", reply(photo, text="one")))
    pages.add("/av/changing.png", png(colour="green"), headers={"Content-Type": "image/png"})
    second = verify(app, pages.add("/av/two", reply(photo, text="two")))
    assert second.avatar_key == first.avatar_key  # remembered: not fetched for every mention

    again = reverify(app, first.id)
    assert again.avatar_key and again.avatar_key != first.avatar_key  # fetched anew
    assert stored(app, again.avatar_key) is not None
    assert stored(app, first.avatar_key or "") is not None  # the second mention still shows it
    reverify(app, second.id)
    assert stored(app, first.avatar_key or "") is None  # nobody shows it: its files went


def test_a_deleted_mention_drops_its_avatar(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    photo = pages.add("/av/bye.png", png(colour="purple"), headers={"Content-Type": "image/png"})
    source = pages.add("/av/bye", reply(photo))
    mention = verify(app, source)
    url = AvatarLinks.from_config(app.config).url(mention.avatar_key or "")
    assert client.get(url).status_code == 200

    pages.add("/av/bye", "gone", status=410)
    gone = reverify(app, mention.id)
    assert gone.status == "deleted" and gone.avatar_key is None
    assert stored(app, mention.avatar_key or "") is None
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("how", ["delete", "block"])
def test_the_owner_deleting_or_blocking_a_mention_drops_its_avatar(
    app: Flask, client: FlaskClient, pages: PageServer, how: str
) -> None:
    owner = add_account(app, "owner@example.com")
    add_site(app, "blog.example", owner)
    shared_photo = pages.add(
        f"/av/{how}-shared.png", png(colour="olive"), headers={"Content-Type": "image/png"}
    )
    own_photo = pages.add(
        f"/av/{how}-own.png", png(colour="navy"), headers={"Content-Type": "image/png"}
    )
    doomed = verify(app, pages.add(f"/av/{how}/doomed", reply(own_photo)))
    sharing = verify(app, pages.add(f"/av/{how}/sharing", reply(shared_photo, text="a")))
    other = verify(app, pages.add(f"/av/{how}/other", reply(shared_photo, text="b")))
    assert sharing.avatar_key == other.avatar_key and doomed.avatar_key
    browser = Browser(client, "owner@example.com")

    if how == "delete":
        paths = [f"/dashboard/mentions/{m.id}/moderate" for m in (doomed, sharing)]
        form = {"action": "delete"}
    else:  # a block of each source URL deletes its mention
        paths = [f"/dashboard/mentions/{m.id}/block" for m in (doomed, sharing)]
        form = {"kind": "url"}
    for path in paths:
        assert browser.post(path, form).status_code == 303
    with services(app).db.session() as session:
        assert session.get(Mention, doomed.id).avatar_key is None  # type: ignore[union-attr]
    assert stored(app, doomed.avatar_key) is None  # nobody else showed it
    assert stored(app, other.avatar_key or "") is not None  # `other` still shows this one
