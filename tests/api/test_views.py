"""The read API answers webmention.io's requests with webmention.io's shapes: compared with
saved webmention.io-shaped responses, and driven the way the widely used consumers drive it
(a widget reading target[] pairs cross-origin, a static-site plugin paging with a large
per-page and then since=)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import services
from pingsvc.models import DELETED, HELD, PENDING, REJECTED
from pingsvc.pipeline.steps import process_mention
from pingsvc.tokens import rotate
from tests.support.mentions import BASE_TIME, add, add_many, mention_row, site_id, update
from tests.support.pageserver import PageServer

EXAMPLES = Path(__file__).resolve().parent.parent / "api_examples"
POST = "https://blog.example/post/1"
JF2 = "/api/mentions.jf2"
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def assert_same_shape(expected: Any, actual: Any, where: str = "$") -> None:
    """Every field of the webmention.io example is in our answer with the same JSON type
    (null in the example allows a string or null; extra fields of ours are allowed)."""
    if expected is None:
        assert actual is None or isinstance(actual, str), f"{where}: {actual!r}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where} is {type(actual).__name__}, not an object"
        for key, value in expected.items():
            assert key in actual, f"{where} lacks {key!r} (has {sorted(actual)})"
            assert_same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where} is not a list"
        if expected and actual:
            assert_same_shape(expected[0], actual[0], f"{where}[0]")
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{where}: {actual!r} is not a boolean"
    elif isinstance(expected, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{where}: {actual!r}"
    else:
        assert isinstance(actual, type(expected)), f"{where}: {actual!r}"


def jf2(client: FlaskClient, query: str, **kwargs: Any) -> dict[str, Any]:
    response = client.get(f"{JF2}?{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def sources(document: dict[str, Any]) -> list[str]:
    return [child["wm-source"] for child in document["children"]]


def token_for(app: Flask, host: str = "blog.example") -> str:
    """A new token for `host` (registered first if need be), as `pingsvc site token` makes."""
    from pingsvc.models import Site

    with services(app).db.session() as session:
        site = session.get(Site, site_id(app, host))
        assert site is not None
        token = rotate(site)
        session.commit()
    return token


@pytest.fixture
def sid(app: Flask) -> int:
    return site_id(app)


# --- The shapes, against saved webmention.io-shaped responses ---------------------------


def test_jf2_children_have_webmention_ios_fields_and_types(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    add(
        app,
        mention_row(sid, POST, kind="reply"),
        mention_row(sid, POST, kind="like", content_text=None, published=None),
        mention_row(sid, POST, kind="rsvp-yes", author_photo=None),
        mention_row(sid, POST, kind="mention"),
    )
    document = jf2(client, f"target={POST}")
    expected = example("mentions.jf2.json")
    assert_same_shape({k: v for k, v in expected.items() if k != "children"}, document)
    by_property = {child["wm-property"]: child for child in document["children"]}
    for sample in expected["children"]:
        assert_same_shape(sample, by_property[sample["wm-property"]], sample["wm-property"])
    # The RSVP names the post as in-reply-to and carries its value, as webmention.io does.
    assert by_property["rsvp"]["rsvp"] == "yes"
    assert by_property["rsvp"]["in-reply-to"] == POST


def test_links_shape_matches_webmention_ios_json_format(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    add(app, mention_row(sid, POST, kind="reply"), mention_row(sid, POST, kind="rsvp-yes"))
    response = client.get(f"/api/mentions.json?target={POST}")
    assert response.status_code == 200
    document = response.get_json()
    expected = example("mentions.json")
    by_type = {link["activity"]["type"]: link for link in document["links"]}
    for sample in expected["links"]:
        assert_same_shape(sample, by_type[sample["activity"]["type"]])
    assert by_type["rsvp"]["data"]["rsvp"] == "yes"
    # The paths the Jekyll plugin and older clients use answer the same document.
    for path in ("/api/mentions", "/api/links", "/api/links.json"):
        assert client.get(f"{path}?target={POST}").get_json()["links"] == document["links"]


def test_count_uses_webmention_io_type_keys_and_leaves_out_empty_types(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    add(
        app,
        mention_row(sid, POST, kind="like"),
        mention_row(sid, POST, kind="like"),
        mention_row(sid, POST, kind="reply"),
        mention_row(sid, POST, kind="repost"),
        mention_row(sid, POST, kind="mention"),
        mention_row(sid, POST, kind="rsvp-yes"),
    )
    document = client.get(f"/api/count.json?target={POST}").get_json()
    assert_same_shape(example("count.json"), document)
    assert document == example("count.json")
    # /api/count (the path of webmention.io's documented snippet) answers the same.
    assert client.get(f"/api/count?target={POST}").get_json() == document


def test_count_for_several_targets_gives_the_union_and_each_target(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    other = "https://blog.example/post/2"
    add(
        app,
        mention_row(sid, POST, kind="like"),
        mention_row(sid, "http://blog.example/post/1/", kind="reply"),
        mention_row(sid, other, kind="rsvp-no"),
        mention_row(sid, other, kind="rsvp-no", status=HELD),
    )
    document = client.get(f"/api/count.json?target[]={POST}&target[]={other}").get_json()
    assert document["count"] == 3
    assert document["type"] == {"like": 1, "reply": 1, "rsvp-no": 1}
    assert document["targets"][POST] == {"count": 2, "type": {"like": 1, "reply": 1}}
    assert document["targets"][other] == {"count": 1, "type": {"rsvp-no": 1}}


def test_every_child_carries_the_wm_fields_widgets_read(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    add(
        app,
        mention_row(sid, POST, kind="reply", received=BASE_TIME.replace(microsecond=654321)),
        mention_row(sid, POST, kind="like", url=None, content_text=None),
        mention_row(sid, POST, kind="like", url="javascript:alert(1)"),
        mention_row(sid, POST, kind="reply", protocol="pingback"),
    )
    for child in jf2(client, f"target={POST}")["children"]:
        for field in ("wm-id", "wm-source", "wm-target", "wm-protocol", "wm-property"):
            assert child[field] not in (None, ""), field
        assert child["wm-private"] is False
        assert STAMP.match(child["wm-received"]), child["wm-received"]
        assert child["url"].startswith(("https://", "http://")), child["url"]
        assert child["wm-target"] == POST
    children = jf2(client, f"target={POST}&sort-dir=up")["children"]
    assert children[0]["wm-received"] == "2024-03-05T10:00:00Z"
    assert {c["wm-protocol"] for c in children} == {"webmention", "pingback"}


def test_name_appears_only_for_posts_with_a_real_title(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    titled, implied, truncated = add(
        app,
        mention_row(sid, POST, kind="mention", name="Notes on webmentions"),
        mention_row(sid, POST, kind="reply", name="Great post, Bob!"),
        mention_row(
            sid, POST, kind="reply", name="Great post, ...", content_text="Great post, Bob!"
        ),
    )
    children = {c["wm-id"]: c for c in jf2(client, f"target={POST}")["children"]}
    assert children[titled]["name"] == "Notes on webmentions"
    assert "name" not in children[implied]
    assert "name" not in children[truncated]


def test_unknown_target_answers_200_with_empty_children(client: FlaskClient) -> None:
    for target in (POST, "https://not-registered.example/post"):
        document = jf2(client, f"target={target}")
        assert document["children"] == [] and document["total"] == 0 and document["next"] is None
        count = client.get(f"/api/count.json?target={target}").get_json()
        assert count == {"count": 0, "type": {}}


# --- Consumers --------------------------------------------------------------------------


def test_widget_reads_http_and_https_pairs_cross_origin(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    """webmention.js: per-page, sort-by=published, sort-dir=up and a target[] pair for every
    page URL, fetched from the blog's own origin."""
    early, late, other = add(
        app,
        # Published 09:00 UTC, written with a +02:00 offset: earlier than the next one.
        mention_row(
            sid, "http://blog.example/post/1", kind="like", published="2024-03-05T11:00:00+02:00"
        ),
        mention_row(
            sid, "https://blog.example/post/1/", kind="reply", published="2024-03-05T10:00:00Z"
        ),
        mention_row(sid, "https://blog.example/post/2", kind="reply"),
    )
    query = (
        "per-page=30&sort-by=published&sort-dir=up"
        "&target[]=http%3A%2F%2Fblog.example%2Fpost%2F1&target[]=https%3A%2F%2Fblog.example%2Fpost%2F1"
    )
    response = client.get(f"{JF2}?{query}", headers={"Origin": "https://blog.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert [c["wm-id"] for c in response.get_json()["children"]] == [early, late]
    assert other not in [c["wm-id"] for c in response.get_json()["children"]]
    # A preflight (a widget that sends a token header) is allowed too.
    preflight = client.options(
        JF2,
        headers={
            "Origin": "https://blog.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_static_site_plugin_pages_with_large_per_page_then_polls_with_since(
    app: Flask, client: FlaskClient
) -> None:
    """The Eleventy pattern: domain + token, per-page=1000 until a short page, then since= with
    the newest wm-received pasted back unencoded."""
    ids = add_many(app, 2345, "https://blog.example/post/1") + add_many(
        app, 10, "https://blog.example/post/2"
    )
    token = token_for(app)
    seen: list[dict[str, Any]] = []
    page = 0
    while True:
        children = jf2(client, f"domain=blog.example&token={token}&per-page=1000&page={page}")[
            "children"
        ]
        seen += children
        if len(children) < 1000:
            break
        page += 1
    assert page == 2
    assert sorted(c["wm-id"] for c in seen) == sorted(ids)
    assert {c["wm-target"] for c in seen} == {
        "https://blog.example/post/1",
        "https://blog.example/post/2",
    }

    newest = max(c["wm-received"] for c in seen)
    assert (
        jf2(client, f"domain=blog.example&token={token}&per-page=1000&since={newest}")["children"]
        == []
    )
    fresh = add(app, mention_row(site_id(app), POST, received=BASE_TIME + timedelta(days=90)))
    later = jf2(client, f"domain=blog.example&token={token}&per-page=1000&since={newest}")
    assert [c["wm-id"] for c in later["children"]] == fresh
    # The same moment with an offset whose "+" arrived as a space (no URL encoding).
    moment = BASE_TIME + timedelta(days=60)
    local = (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    spaced = jf2(client, f"domain=blog.example&token={token}&since={local}+01:00")
    assert [c["wm-id"] for c in spaced["children"]] == fresh


def test_per_page_is_honoured_up_to_ten_thousand_without_a_silent_cap(
    app: Flask, client: FlaskClient
) -> None:
    add_many(app, 2500)
    for per_page in (1000, 9001, 10_000):
        document = jf2(client, f"target={POST}&per-page={per_page}")
        assert len(document["children"]) == min(per_page, 2500)
        assert document["total"] == 2500
    refused = client.get(f"{JF2}?target={POST}&per-page=10001")
    assert refused.status_code == 400
    assert "10000" in refused.get_json()["error_description"]


def test_jekyll_plugin_reads_links_with_perpage_and_since_id(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    first = add(app, *(mention_row(sid, POST, kind="reply") for _ in range(3)))
    query = f"target[]={POST}&target[]=http://blog.example/post/1&sort-by=published&perPage=9999"
    links = client.get(f"/api/mentions?{query}").get_json()["links"]
    assert sorted(link["id"] for link in links) == first
    newer = add(app, mention_row(sid, POST, kind="like"))
    again = client.get(f"/api/mentions?{query}&since_id={max(first)}").get_json()["links"]
    assert [link["id"] for link in again] == newer
    # Its JSONP loader names a callback inside an object.
    script = client.get(
        f"/api/mentions?jsonp=window.JekyllWebmentionIO.processWebmentions&target[]={POST}"
    )
    assert script.mimetype == "application/javascript"
    body = script.get_data(as_text=True)
    assert body.startswith("/**/window.JekyllWebmentionIO.processWebmentions({") and body.endswith(
        ");"
    )


# --- Paging, filters, sorting, variants ---------------------------------------------------


def test_paging_reaches_the_last_page_through_next_links(app: Flask, client: FlaskClient) -> None:
    ids = add_many(app, 47)
    document = jf2(client, f"target={POST}&per-page=10")
    assert document["total"] == 47
    collected = [c["wm-id"] for c in document["children"]]
    pages = 1
    while document["next"]:
        url = urlsplit(document["next"])
        assert url.path == JF2
        document = jf2(client, url.query)
        collected += [c["wm-id"] for c in document["children"]]
        pages += 1
    assert pages == 5 and len(document["children"]) == 7
    assert collected == sorted(ids, reverse=True)
    past_the_end = jf2(client, f"target={POST}&per-page=10&page=9")
    assert (
        past_the_end["children"] == []
        and past_the_end["next"] is None
        and past_the_end["total"] == 47
    )


def test_wm_property_filters_one_or_several_kinds(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    like, reply, rsvp, mention = add(
        app,
        mention_row(sid, POST, kind="like"),
        mention_row(sid, POST, kind="reply"),
        mention_row(sid, POST, kind="rsvp-maybe"),
        mention_row(sid, POST, kind="mention", property=None),
    )
    assert [c["wm-id"] for c in jf2(client, f"target={POST}&wm-property=like-of")["children"]] == [
        like
    ]
    several = jf2(client, f"target={POST}&wm-property[]=in-reply-to&wm-property[]=rsvp")
    assert sorted(c["wm-id"] for c in several["children"]) == [reply, rsvp]
    assert several["total"] == 2
    plain = jf2(client, f"target={POST}&wm-property=mention-of")["children"]
    assert [c["wm-id"] for c in plain] == [mention] and plain[0]["wm-property"] == "mention-of"


def test_sorting_by_created_updated_published_and_rsvp(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    a, b, c = add(
        app,
        mention_row(
            sid, POST, kind="rsvp-no", received=BASE_TIME, published="2024-03-09T00:00:00+09:00"
        ),
        mention_row(
            sid, POST, kind="rsvp-yes", received=BASE_TIME + timedelta(hours=1), published=None
        ),
        mention_row(
            sid,
            POST,
            kind="rsvp-maybe",
            received=BASE_TIME + timedelta(hours=2),
            published="2024-03-08T12:00:00-05:00",
        ),
    )
    update(app, a, updated_at=BASE_TIME + timedelta(days=5))

    def order(query: str) -> list[int]:
        return [child["wm-id"] for child in jf2(client, f"target={POST}&{query}")["children"]]

    assert order("") == [c, b, a]  # newest received first by default
    assert order("sort-by=created&sort-dir=up") == [a, b, c]
    assert order("sort-by=updated") == [a, c, b]
    # a: 2024-03-08T15:00Z, c: 2024-03-08T17:00Z, b has none: sorted by received (2024-03-05).
    assert order("sort-by=published") == [c, a, b]
    assert order("sort-by=published&sort-dir=up") == [b, a, c]
    assert order("sort-by=rsvp") == [b, c, a]
    assert order("sort-by=rsvp&sort-dir=up") == [a, c, b]


def test_sort_by_published_places_mentions_without_a_date_by_when_they_came(
    either_app: Flask,
) -> None:
    """Likes and reposts from silos have no `published`: in both directions they stand
    where they were received, among the posts' own dates (in UTC), and every page of the
    paged answer follows that one order."""
    app, day = either_app, timedelta(days=1)
    sid = site_id(app)
    rows = {
        "early-like": mention_row(sid, POST, kind="like", received=BASE_TIME, published=None),
        "reply-mar-06": mention_row(
            sid, POST, received=BASE_TIME + 9 * day, published="2024-03-06T23:00:00-05:00"
        ),  # 2024-03-07T04:00Z
        "repost-mar-07": mention_row(
            sid, POST, kind="repost", received=BASE_TIME + 2 * day, published=""
        ),  # received 2024-03-07T10:00Z
        "reply-mar-08": mention_row(sid, POST, received=BASE_TIME, published="2024-03-08"),
        "reply-mar-10": mention_row(
            sid, POST, received=BASE_TIME + 6 * day, published="2024-03-10T12:00:00+01:00"
        ),
        "late-like": mention_row(
            sid, POST, kind="like", received=BASE_TIME + 20 * day, published=None
        ),
    }
    ids = dict(zip(rows, add(app, *rows.values()), strict=True))
    names = {wm_id: name for name, wm_id in ids.items()}
    client = app.test_client()

    def order(direction: str, per_page: int = 100) -> list[str]:
        found: list[str] = []
        for page in range(0, len(rows), per_page):
            query = f"target={POST}&sort-by=published&sort-dir={direction}&per-page={per_page}"
            children = jf2(client, f"{query}&page={page // per_page}")["children"]
            found += [names[child["wm-id"]] for child in children]
        return found

    expected = list(rows)  # the order they were written in above
    assert order("up") == expected
    assert order("down") == expected[::-1]
    assert order("up", per_page=4) == expected and order("down", per_page=4) == expected[::-1]
    assert order("up", per_page=1) == expected


def test_url_variants_of_a_post_are_one_post(app: Flask, client: FlaskClient, sid: int) -> None:
    """The rule: scheme, a trailing slash and the fragment are ignored; host, path and query
    string must match."""
    same = add(
        app,
        mention_row(sid, "http://blog.example/post/1"),
        mention_row(sid, "https://blog.example/post/1/"),
        mention_row(sid, "https://blog.example/post/1#comments"),
        mention_row(sid, "https://BLOG.example:443/post/1"),
    )
    different = add(
        app,
        mention_row(sid, "https://blog.example/post/1?page=2"),
        mention_row(sid, "https://blog.example/post/10"),
        mention_row(sid, "https://blog.example/Post/1"),
    )
    for target in (
        "https://blog.example/post/1",
        "http://blog.example/post/1/",
        "https://blog.example/post/1#top",
        "//blog.example/post/1",
    ):
        found = [
            c["wm-id"] for c in jf2(client, f"target={target.replace('#', '%23')}")["children"]
        ]
        assert sorted(found) == sorted(same), target
        assert not set(found) & set(different)


# --- Who sees what ----------------------------------------------------------------------


def test_held_pending_rejected_and_deleted_mentions_never_leak(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    (shown,) = add(app, mention_row(sid, POST, kind="reply", source="https://shown.example/a"))
    hidden = {
        status: add(
            app,
            mention_row(
                sid, POST, kind="reply", status=status, source=f"https://{status}.example/secret"
            ),
        )[0]
        for status in (HELD, PENDING, REJECTED, DELETED)
    }
    (reply_to_held,) = add(
        app,
        mention_row(
            sid, POST, kind="reply", source="https://child.example/r", parent_id=hidden[HELD]
        ),
    )
    bodies = [
        client.get(f"{path}?target={POST}").get_data(as_text=True)
        for path in (
            JF2,
            "/api/mentions.json",
            "/api/mentions.atom",
            "/api/mentions.html",
            "/api/count.json",
        )
    ]
    for body in bodies:
        for status in hidden:
            assert f"{status}.example" not in body
    public = jf2(client, f"target={POST}")
    assert sorted(c["wm-id"] for c in public["children"]) == sorted([shown, reply_to_held])
    assert all("wm-parent-id" not in c and "wm-held" not in c for c in public["children"])
    assert client.get(f"/api/count.json?target={POST}").get_json()["count"] == 2

    owner = jf2(client, f"target={POST}&token={token_for(app)}")
    flagged = {c["wm-id"]: c.get("wm-held", False) for c in owner["children"]}
    assert flagged == {shown: False, reply_to_held: False, hidden[HELD]: True}
    parent = next(c for c in owner["children"] if c["wm-id"] == reply_to_held)
    assert parent["wm-parent-id"] == hidden[HELD]


def test_a_token_shows_held_mentions_of_its_own_site_only(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    other_site = site_id(app, "other.example")
    (held_here,) = add(app, mention_row(sid, POST, status=HELD))
    (held_there,) = add(app, mention_row(other_site, "https://other.example/p", status=HELD))
    other_token = token_for(app, "other.example")
    both = f"target[]={POST}&target[]=https://other.example/p&token={other_token}"
    assert [c["wm-id"] for c in jf2(client, both)["children"]] == [held_there]
    assert held_here not in [
        c["wm-id"] for c in jf2(client, f"target={POST}&token={other_token}")["children"]
    ]


def test_domain_with_token_lists_every_mention_of_the_site(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    other_site = site_id(app, "other.example")
    mine = add(
        app,
        mention_row(sid, "https://blog.example/post/1"),
        mention_row(sid, "https://blog.example/post/2", status=HELD),
    )
    add(app, mention_row(other_site, "https://other.example/p"))
    token = token_for(app)
    for query in (
        f"domain=blog.example&token={token}",
        f"domain=https://blog.example/&access_token={token}",
        f"token={token}",
    ):
        response = client.get(f"{JF2}?{query}")
        assert response.status_code == 200
        assert sorted(c["wm-id"] for c in response.get_json()["children"]) == mine
        # The owner's view lists held mentions: no shared cache may keep it.
        assert response.headers["Cache-Control"] == "private, no-cache"
    bearer = client.get(f"{JF2}?domain=blog.example", headers={"Authorization": f"Bearer {token}"})
    assert sorted(c["wm-id"] for c in bearer.get_json()["children"]) == mine
    assert client.get(f"/api/count.json?token={token}").get_json()["count"] == 2


def test_bad_tokens_get_401_json_errors(app: Flask, client: FlaskClient) -> None:
    token = token_for(app)
    other = token_for(app, "other.example")
    for query in (
        "domain=blog.example&token=not-a-token",
        f"target={POST}&access_token=wrong",
        f"domain=blog.example&token={other}",
    ):
        response = client.get(f"{JF2}?{query}")
        assert response.status_code == 401, query
        assert response.get_json()["error"] in {"invalid_token", "token_mismatch"}
        assert response.get_json()["error_description"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    replaced = token
    token_for(app)  # rotating replaces the old token
    assert client.get(f"{JF2}?domain=blog.example&token={replaced}").status_code == 401
    assert client.get(f"{JF2}?domain=blog.example").get_json()["error"] == "missing_token"


# --- Errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (f"target={POST}&per-page=0", "per-page"),
        (f"target={POST}&per-page=ten", "per-page"),
        (f"target={POST}&per-page=10001", "per-page"),
        (f"target={POST}&page=-1", "page"),
        (f"target={POST}&page=1.5", "page"),
        (f"target={POST}&since=yesterday", "since"),
        (f"target={POST}&since=2024-13-01T00:00:00Z", "since"),
        (f"target={POST}&since_id=-3", "since_id"),
        (f"target={POST}&sort-dir=", "sort-dir"),
        (f"target={POST}&per-page=20&perPage=false", "perPage"),
        (f"target={POST}&target[]=", "target"),
        (f"target={POST}&sort-by=popularity", "sort-by"),
        (f"target={POST}&sort-dir=sideways", "sort-dir"),
        (f"target={POST}&wm-property=follow", "wm-property"),
        (f"target={POST}&wm-property[]=like-of&wm-property[]=nope", "wm-property"),
        (f"target={POST}&jsonp=alert(document.cookie)", "jsonp"),
        (f"target={POST}&jsonp=a%0Ab", "jsonp"),
        ("target=ftp://blog.example/post/1", "target"),
        ("target=blog.example/post/1", "target"),
        ("target=https://blog.example/%00", "target"),
        (f"target={POST}&domain=blog.example", "domain"),
        ("", "target"),
    ],
)
def test_bad_parameter_values_get_400_json_errors(
    client: FlaskClient, query: str, name: str
) -> None:
    response = client.get(f"{JF2}?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "error_description"}
    assert name in body["error_description"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"


def test_jsonp_is_refused_on_atom_and_html(client: FlaskClient) -> None:
    for path in ("/api/mentions.atom", "/api/mentions.html"):
        response = client.get(f"{path}?target={POST}&jsonp=cb")
        assert response.status_code == 400 and "jsonp" in response.get_json()["error_description"]


def test_odd_but_valid_requests_never_fail(app: Flask, client: FlaskClient, sid: int) -> None:
    add(
        app,
        mention_row(sid, POST, published="not a date"),
        mention_row(sid, POST, published="2024-03-05"),
    )
    for query in (
        f"target={POST}&page=1000000000&per-page=10000",
        f"target={POST}&sort-by=published&since=0001-01-01T00:00:00+23:59",
        f"target={POST}&since=9999-12-31T23:59:59-23:59",
        f"target={POST}&since=2024-03-05T10:00:00.123456789Z&cache_buster=17",
        f"target={POST}&wm-property=rsvp&sort-by=rsvp&sort-dir=up",
        "target=https://%E4%BE%8B%E3%81%88.example/%F0%9F%98%80",
        f"target={POST}&token=",
    ):
        assert client.get(f"{JF2}?{query}").status_code == 200, query


# --- Caching ----------------------------------------------------------------------------


def test_etag_and_last_modified_give_304_until_a_mention_changes(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    (first,) = add(app, mention_row(sid, POST, received=BASE_TIME.replace(microsecond=500)))
    response = client.get(f"{JF2}?target={POST}")
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert modified == "Tue, 05 Mar 2024 10:00:00 GMT"

    again = client.get(f"{JF2}?target={POST}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert (
        client.get(f"{JF2}?target={POST}", headers={"If-Modified-Since": modified}).status_code
        == 304
    )
    # Another representation of the same rows has its own ETag.
    assert (
        client.get(f"/api/mentions.json?target={POST}", headers={"If-None-Match": etag}).status_code
        == 200
    )

    update(app, first, status=DELETED)
    changed = client.get(f"{JF2}?target={POST}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["children"] == []
    assert changed.headers["ETag"] != etag


def test_cached_answers_follow_every_change_to_the_targets_rows(
    app: Flask, client: FlaskClient, sid: int
) -> None:
    ids = add(app, mention_row(sid, POST), mention_row(sid, POST))
    assert jf2(client, f"target={POST}")["total"] == 2
    update(app, ids[0], status=HELD)  # moderation
    assert jf2(client, f"target={POST}")["total"] == 1
    update(app, ids[0], status="approved", content_text="Edited")  # a re-verified post
    children = jf2(client, f"target={POST}")["children"]
    assert {c.get("content", {}).get("text") for c in children} >= {"Edited"}
    add(app, mention_row(sid, "http://blog.example/post/1/"))  # a new one, on a variant URL
    assert jf2(client, f"target={POST}")["total"] == 3
    with services(app).db.session() as session:  # removed outright
        from pingsvc.models import Mention

        session.delete(session.get(Mention, ids[1]))
        session.commit()
    assert jf2(client, f"target={POST}")["total"] == 2


def test_redis_cache_is_shared_and_follows_changes(
    settings: dict[str, str], redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingsvc import create_app
    from pingsvc.api.cache import RedisCache
    from pingsvc.api.views import response_cache
    from tests.conftest import make_app

    first_app = make_app({**settings, "PINGSVC_REDIS_URL": redis_url}, monkeypatch)
    second_app = create_app({"TESTING": True})  # another web process on the same settings

    assert isinstance(response_cache(first_app), RedisCache)
    sid = site_id(first_app)
    (mention,) = add(first_app, mention_row(sid, POST))
    one, two = first_app.test_client(), second_app.test_client()
    assert jf2(one, f"target={POST}")["total"] == 1
    etag = one.get(f"{JF2}?target={POST}").headers["ETag"]
    assert two.get(f"{JF2}?target={POST}").headers["ETag"] == etag
    assert response_cache(second_app).get(etag.strip('"')) is not None
    update(first_app, mention, status=DELETED)
    assert jf2(two, f"target={POST}")["total"] == 0
    services(first_app).db.dispose()
    services(second_app).db.dispose()


def test_max_age_follows_the_setting(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import make_app

    app = make_app(
        {**settings, "PINGSVC_API_MAX_AGE": "300", "PINGSVC_API_CACHE_TTL": "0"}, monkeypatch
    )
    response = app.test_client().get(f"{JF2}?target={POST}")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    services(app).db.dispose()


# --- With the real pipeline, and on PostgreSQL ---------------------------------------------

REPLY_PAGE = """<!doctype html><html><head><title>Re: post | Alice</title></head><body>
<article class="h-entry"><a class="p-author h-card" href="/">Alice Example</a>
<p>In reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Bob's post</a></p>
<div class="e-content">Great post, <b>Bob</b>!</div>
<time class="dt-published" datetime="2024-03-05T10:12:00+01:00">March 5</time>
</article></body></html>"""


def test_a_mention_verified_by_the_pipeline_is_served_then_withdrawn(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    """POST /webmention, the pipeline fetching the source from the page server, then the API;
    the source going 410 deletes the mention and the cached answer follows."""
    source = pages.add("/api-test/reply.html", REPLY_PAGE)
    accepted = client.post("/webmention", data={"source": source, "target": POST})
    assert accepted.status_code == 201
    mention_id = int(accepted.headers["Location"].rsplit("/", 1)[1])
    assert jf2(client, f"target={POST}")["children"] == []  # pending: not shown yet

    outcome = process_mention(services(app).db, mention_id, services(app).pipeline)
    assert outcome is not None and outcome.status == "approved"
    first = client.get(f"{JF2}?target[]=http://blog.example/post/1&target[]={POST}")
    (child,) = first.get_json()["children"]
    assert child["wm-id"] == mention_id and child["wm-source"] == source
    assert child["wm-property"] == "in-reply-to" and child["url"] == source
    assert child["author"]["name"] == "Alice Example"
    assert child["content"]["text"] == "Great post, Bob!" and "name" not in child
    assert STAMP.match(child["wm-received"])
    count = client.get(f"/api/count.json?target={POST}").get_json()
    assert count == {"count": 1, "type": {"reply": 1}}

    pages.add("/api-test/reply.html", "gone", status=410)
    client.post("/webmention", data={"source": source, "target": POST})
    process_mention(services(app).db, mention_id, services(app).pipeline)
    etag = first.headers["ETag"]
    after = client.get(
        f"{JF2}?target[]=http://blog.example/post/1&target[]={POST}",
        headers={"If-None-Match": etag},
    )
    assert after.status_code == 200 and after.get_json()["children"] == []
    assert client.get(f"/api/count.json?target={POST}").get_json() == {"count": 0, "type": {}}


def test_the_api_on_either_database(either_app: Flask) -> None:
    """The embedded install, and PostgreSQL with Redis (its response cache too)."""
    app = either_app
    client = app.test_client()
    sid = site_id(app)
    late, early, held = add(
        app,
        mention_row(
            sid, "http://blog.example/post/1/", kind="rsvp-yes", published="2024-03-05T10:00:00Z"
        ),
        mention_row(sid, POST, kind="like", published="2024-03-05T11:00:00+02:00"),
        mention_row(sid, POST, kind="reply", status=HELD),
    )
    assert [
        c["wm-id"] for c in jf2(client, f"target={POST}&sort-by=published&sort-dir=up")["children"]
    ] == [early, late]
    assert [c["wm-id"] for c in jf2(client, f"target={POST}&wm-property=rsvp")["children"]] == [
        late
    ]
    since = jf2(client, f"target={POST}&sort-dir=up")["children"][0]["wm-received"]
    assert [c["wm-id"] for c in jf2(client, f"target={POST}&since={since}")["children"]] == [early]
    assert client.get(f"/api/count?target={POST}").get_json() == {
        "count": 2,
        "type": {"like": 1, "rsvp-yes": 1},
    }
    owner = jf2(client, f"domain=blog.example&token={token_for(app)}")
    assert {c["wm-id"] for c in owner["children"]} == {late, early, held}
    response = client.get(f"{JF2}?target={POST}")
    assert (
        client.get(
            f"{JF2}?target={POST}", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )
    update(app, early, status=DELETED)
    assert jf2(client, f"target={POST}")["total"] == 1
    services(app).db.dispose()


def test_last_modified_waits_until_the_changes_second_is_over() -> None:
    """HTTP dates have no fractions: a change later in the same second would look unmodified
    to a client that sent this second's date, so the current second is never announced."""
    from pingsvc.api.query import Stamp
    from pingsvc.api.views import _last_modified
    from pingsvc.models import utcnow

    assert _last_modified(Stamp(1, utcnow() + timedelta(seconds=5), 1)) is None
    past = utcnow().replace(microsecond=0) - timedelta(seconds=3)
    assert _last_modified(Stamp(1, past.replace(microsecond=250_000), 1)) == past
    assert _last_modified(Stamp(0, None, None)) is None
