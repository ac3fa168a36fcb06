"""The widget's server side: /embed.js, the no-JS fragment /embed/mentions.html, and /demo."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import event, func, select

from pingsvc import demo, services, widget
from pingsvc.avatars import store as avatar_store
from pingsvc.avatars.links import AvatarLinks
from pingsvc.models import DELETED, HELD, PENDING, REJECTED, Mention, Site
from tests.support.mentions import add_mention

TARGET = "https://blog.example/post/1"
EMBED_JS = Path(widget.__file__).parent / "static" / "embed.js"


def fragment(client: FlaskClient, **params: Any) -> LexborHTMLParser:
    params.setdefault("target", TARGET)
    response = client.get("/embed/mentions.html", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return LexborHTMLParser(response.get_data(as_text=True))


def ids(tree: LexborHTMLParser, selector: str = "article") -> list[int]:
    return [int(node.attributes["data-id"] or 0) for node in tree.css(f"{selector}[data-id]")]


DANA_KEY = "d" * 40  # an archived avatar (pingsvc.avatars); its files are not needed here


def every_type(app: Flask, target: str = TARGET) -> dict[str, int]:
    """One mention of each kind a reader can meet, keyed by a name the tests use."""
    photo = "https://photos.example/dana.jpg"
    return {
        "reply": add_mention(
            app, target, author_name="Aaron", content_text="Nice post!",
            published="2026-03-04T05:06:07Z",
        ),
        "like": add_mention(
            app, target, property="like-of", author_name="Dana", author_photo=photo,
            avatar_key=DANA_KEY,
        ),
        "like2": add_mention(app, target, property="like-of", author_name="Eve"),
        "repost": add_mention(app, target, property="repost-of", author_name="Ines"),
        "bookmark": add_mention(
            app, target, property="bookmark-of", name="Reading list", content_text=None
        ),
        "mention": add_mention(
            app, target, property="mention-of", name="Weekly links", content_text="Links."
        ),
        "rsvp": add_mention(app, target, property="rsvp", rsvp="yes", content_text="See you"),
        "pingback": add_mention(
            app, target, property="mention-of", protocol="pingback",
            name="Movie Review – Her", site_name="Fernby Films", content_text="[…] a link […]",
            author_name="Fernby Films",
        ),
    }  # fmt: skip


# /embed.js


def test_embed_js_is_served_cacheable_and_cross_origin(client: FlaskClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # type="module" needs CORS
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert not response.cache_control.no_cache
    assert response.headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_embed_js_stays_under_10_kb_gzipped() -> None:
    assert len(gzip.compress(EMBED_JS.read_bytes(), 9)) < 10 * 1024


def test_embed_js_never_parses_markup_or_code() -> None:
    source = EMBED_JS.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "DOMParser", "createContextualFragment", "srcdoc",
                 "setTimeout(\"", "setAttribute(\"on", "javascript:"):  # fmt: skip
        assert sink not in source, sink


# /embed/mentions.html


def test_fragment_shows_counts_facepiles_and_a_list_of_every_type(
    app: Flask, client: FlaskClient
) -> None:
    made = every_type(app)
    tree = fragment(client)
    counts = {n.attributes["data-type"]: n.text(strip=True) for n in tree.css(".pm-n li")}
    assert counts == {
        "reply": "1reply", "like": "2likes", "repost": "1repost", "bookmark": "1bookmark",
        "mention": "2mentions", "rsvp": "1RSVP",
    }  # fmt: skip
    likes = tree.css_first('.pm-p[data-type="like"]')
    assert [int(li.attributes["data-id"] or 0) for li in likes.css("li")] == [
        made["like"],
        made["like2"],
    ]
    dana = likes.css_first("img")
    assert dana.attributes["alt"] == "Dana"
    # The archive's avatar, never the sender's photo host: 96 px, and 192 px for 2x screens.
    links = AvatarLinks.from_config(app.config)
    assert dana.attributes["src"] == links.url(DANA_KEY, 96)
    assert dana.attributes["srcset"] == f"{links.url(DANA_KEY, 96)} 1x, {links.url(DANA_KEY)} 2x"
    assert "photos.example" not in tree.html
    eve = likes.css("li")[1].css_first("span.pm-av")  # no photo: a generated initial
    assert eve.text() == "E" and eve.attributes["aria-label"] == "Eve"
    assert eve.attributes["style"] == f"--h:{widget.hue('Eve')}"
    assert likes.css("a")[0].attributes["href"].startswith("https://author")
    assert sorted(ids(tree)) == sorted(
        made[k] for k in ("reply", "bookmark", "mention", "rsvp", "pingback")
    )
    rsvp = tree.css_first(f'article[data-id="{made["rsvp"]}"]')
    assert "is going" in rsvp.text() and "See you" in rsvp.text()
    bookmark = tree.css_first(f'article[data-id="{made["bookmark"]}"]')
    assert bookmark.css_first(".pm-ti").text() == "Reading list"
    reply = tree.css_first(f'article[data-id="{made["reply"]}"]')
    time = reply.css_first("time")
    assert time.attributes["datetime"] == "2026-03-04T05:06:07+00:00"
    assert time.text() == "4 March 2026" and time.attributes["title"] == "2026-03-04 05:06"
    assert reply.css_first("a.pm-d").attributes["href"].startswith("https://author")


def test_fragment_writes_pingbacks_like_wordpress(app: Flask, client: FlaskClient) -> None:
    made = every_type(app)
    plain = add_mention(
        app, TARGET, property="mention-of", name="Links for Tuesday", site_name="Linkblog"
    )
    tree = fragment(client)
    pingback = tree.css_first(f'article[data-id="{made["pingback"]}"]')
    assert pingback.css_first("p").text() == "Pingback: Movie Review – Her | Fernby Films"
    assert pingback.css_first("a").attributes["href"].startswith("https://author")
    assert pingback.css_first(".pm-tx").text() == "[…] a link […]"
    webmention = tree.css_first(f'article[data-id="{plain}"]')
    assert webmention.css_first("p").text() == "Mention: Links for Tuesday | Linkblog"
    # A microformats mention (no site name) keeps the author-and-title form.
    mf2 = tree.css_first(f'article[data-id="{made["mention"]}"]')
    assert "mentioned this" in mf2.text() and not mf2.text().startswith("Mention:")


def test_fragment_threads_replies_under_their_parent(app: Flask, client: FlaskClient) -> None:
    top = add_mention(app, TARGET)
    child = add_mention(app, TARGET, parent_id=top)
    grandchild = add_mention(app, TARGET, parent_id=child)
    other = add_mention(app, TARGET)
    tree = fragment(client)
    assert ids(tree, ".pm-list > li > article") == [top, other]
    nested = tree.css_first(f'article[data-id="{top}"]').parent
    assert ids(LexborHTMLParser(nested.html), ".pm-sub article") == [child, grandchild]
    assert len(tree.css(".pm-sub .pm-sub article")) == 1


def test_thread_caps_depth_and_keeps_replies_caught_in_a_cycle() -> None:
    def node(n: int) -> widget.Item:
        return widget.Item(n, "reply", "A", None, None, 0, None, "", False, "", None, None)

    chain = [node(n) for n in range(1, 9)]
    parents: dict[int, int | None] = {n: n - 1 for n in range(2, 9)}
    top = widget.thread(chain, parents)
    depth, level = 0, top
    while level and level[0].replies:
        depth, level = depth + 1, level[0].replies
    assert depth == widget.MAX_DEPTH
    assert len(level) == 8 - widget.MAX_DEPTH  # deeper replies line up at the last level

    loop = widget.thread([node(1), node(2)], {1: 2, 2: 1})
    assert [n.id for n in loop] == [1] and [n.id for n in loop[0].replies] == [2]


def test_fragment_shows_only_approved_mentions(app: Flask, client: FlaskClient) -> None:
    shown = add_mention(app, TARGET)
    for status in (PENDING, HELD, REJECTED, DELETED):
        add_mention(app, TARGET, status=status, property="like-of")
        add_mention(app, TARGET, status=status)
    tree = fragment(client)
    assert ids(tree) == [shown]
    assert [n.attributes["data-type"] for n in tree.css(".pm-n li")] == ["reply"]


def test_fragment_shows_the_same_mentions_as_the_api(app: Flask, client: FlaskClient) -> None:
    every_type(app)
    every_type(app, "http://blog.example/post/1/")  # the same post, another spelling
    add_mention(app, "https://blog.example/post/2")
    api = client.get("/api/mentions.jf2", query_string={"target": TARGET, "per-page": 100})
    api_ids = sorted(child["wm-id"] for child in api.get_json()["children"])
    tree = fragment(client)
    assert sorted(ids(tree) + ids(tree, ".pm-p li")) == api_ids
    count = client.get("/api/count.json", query_string={"target": TARGET}).get_json()
    shown = sum(int(n.css_first("b").text()) for n in tree.css(".pm-n li"))
    assert shown == count["count"] == len(api_ids)


def test_fragment_escapes_hostile_mentions(app: Flask, client: FlaskClient) -> None:
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    add_mention(
        app, TARGET, author_name=payload, author_url="javascript:alert(3)",
        author_photo="javascript:alert(4)", url="javascript:alert(5)",
        source="javascript:alert(6)", content_text=payload, name=payload,
        content_html='<img src=x onerror="alert(7)">',
    )  # fmt: skip
    add_mention(app, TARGET, property="like-of", author_name=payload,
                author_photo="data:image/svg+xml,<svg onload=alert(8)>",
                author_url="JaVaScRiPt:alert(9)")  # fmt: skip
    add_mention(app, TARGET, property="mention-of", protocol="pingback", name=payload,
                site_name=payload, url="vbscript:x", source="javascript:alert(10)")  # fmt: skip
    body = client.get("/embed/mentions.html", query_string={"target": TARGET}).get_data(True)
    tree = LexborHTMLParser(body)
    assert tree.css("script, iframe, object, embed, svg") == []
    for node in tree.css("*"):
        assert not [a for a in node.attributes if a.lower().startswith("on")], node.html
    for node in tree.css("[href], [src]"):
        url = node.attributes.get("href") or node.attributes.get("src") or ""
        assert url.startswith(("http://", "https://")), url
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_fragment_filters_types_sorts_and_pages(app: Flask, client: FlaskClient) -> None:
    replies = [add_mention(app, TARGET) for _ in range(5)]
    add_mention(app, TARGET, property="like-of")
    tree = fragment(client, types="reply", **{"per-page": 2})
    assert ids(tree) == replies[:2]
    assert tree.css(".pm-p") == []
    assert [n.attributes["data-type"] for n in tree.css(".pm-n li")] == ["reply"]
    more = tree.css_first('a[rel="next"]').attributes["href"]
    assert more.startswith("http://127.0.0.1:8080/embed/mentions.html?") and "page=1" in more
    second = client.get(more.removeprefix("http://127.0.0.1:8080"))
    page2 = LexborHTMLParser(second.get_data(as_text=True))
    assert ids(page2) == replies[2:4]
    assert page2.css_first('a[rel="prev"]') is not None
    newest = fragment(client, types="reply", **{"sort-dir": "down", "per-page": 2})
    assert ids(newest) == replies[:2:-1][:2]


def test_fragment_sends_the_api_caching_headers_and_304s(app: Flask, client: FlaskClient) -> None:
    add_mention(app, TARGET)
    app.config["API_MAX_AGE"] = 123
    response = client.get("/embed/mentions.html", query_string={"target": TARGET})
    assert response.headers["Cache-Control"] == "public, max-age=123"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    etag = response.headers["ETag"]
    same = client.get(
        "/embed/mentions.html", query_string={"target": TARGET}, headers={"If-None-Match": etag}
    )
    assert same.status_code == 304
    add_mention(app, TARGET)
    changed = client.get(
        "/embed/mentions.html", query_string={"target": TARGET}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_fragment_for_a_post_without_mentions_is_quiet(client: FlaskClient) -> None:
    tree = fragment(client, target="https://blog.example/nothing-yet")
    assert tree.css_first(".pm-q").text() == "No mentions yet."
    assert "pm-quiet" in (tree.css_first("section").attributes["class"] or "")
    assert tree.css("ol, .pm-p, .pm-nav") == []


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "?target=URL"),
        ({"target": "javascript:alert(1)"}, "http:// or https://"),
        ({"target": TARGET, "types": "reply,likes"}, "Unknown type likes"),
        ({"target": TARGET, "sort-dir": "sideways"}, "sort-dir must be up or down"),
        ({"target": TARGET, "per-page": "0"}, "per-page must be between 1 and 1000"),
        ({"target": TARGET, "page": "two"}, "page must be a whole number"),
        ({"target": TARGET, "theme": "pink"}, "theme must be one of light, dark, auto"),
        ({"target": TARGET, "heading": "x" * 201}, "heading must be at most 200"),
    ],
)
def test_fragment_bad_parameters_get_a_400_saying_what_to_fix(
    client: FlaskClient, params: dict[str, str], says: str
) -> None:
    response = client.get("/embed/mentions.html", query_string=params)
    assert response.status_code == 400
    assert says in response.get_json()["error_description"]


# /demo


def _seed(app: Flask) -> bool:
    with services(app).db.session() as session:
        return demo.seed(session, app.config["BASE_URL"], avatar_store.from_config(app.config))


@contextmanager
def writes(app: Flask) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the app's database runs inside the block."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    engine = services(app).db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def test_demo_seeds_every_type_once_and_serves_it_through_the_api(
    app: Flask, client: FlaskClient
) -> None:
    assert _seed(app) is True
    assert _seed(app) is False  # seeding again adds nothing
    page = client.get("/demo")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<script src="http://127\.0\.0\.1:8080/embed\.js"', html)
    assert f'data-target="{demo.TARGET}"' in html
    assert client.get("/demo?theme=dark").status_code == 200
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == demo.HOST))
        assert site is not None and site.policy == "hold_all"  # real senders are held
        stored = session.scalar(select(func.count()).select_from(Mention))
    assert stored == len(demo.SAMPLES)
    counts = client.get("/api/count.json", query_string={"target": demo.TARGET}).get_json()
    assert set(counts["type"]) == {"reply", "like", "repost", "bookmark", "mention", "rsvp-yes"}
    feed = client.get("/api/mentions.jf2", query_string={"target": demo.TARGET}).get_json()
    assert any(child.get("wm-parent-id") for child in feed["children"])
    assert any(child.get("wm-site-name") == "Fernby Films" for child in feed["children"])
    photos = [c["author"]["photo"] for c in feed["children"] if c["author"]["photo"]]
    assert photos and all(p.startswith("http://127.0.0.1:8080/avatar/") for p in photos)
    assert all(client.get(p).status_code == 200 for p in photos)  # archived by the seed


@pytest.mark.parametrize("seeded", [False, True])
def test_opening_the_demo_writes_nothing(app: Flask, client: FlaskClient, seeded: bool) -> None:
    if seeded:
        _seed(app)
    with writes(app) as seen:
        for theme in ("light", "dark"):
            assert client.get(f"/demo?theme={theme}").status_code == (200 if seeded else 404)
    assert seen == []


def test_the_demo_without_its_samples_says_how_to_seed_them(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/demo")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "pingsvc demo seed" in page.get_data(as_text=True)
    with services(app).db.session() as session:
        assert session.scalar(select(Site).where(Site.host == demo.HOST)) is None
    _seed(app)
    assert client.get("/demo").status_code == 200


def test_demo_avatars_are_local_svg_pictures(client: FlaskClient) -> None:
    response = client.get("/demo/avatar/3.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg") and b"script" not in response.data
    assert response.get_data() != client.get("/demo/avatar/4.svg").get_data()
