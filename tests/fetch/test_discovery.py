"""pingsvc.fetch.discovery: the 23 webmention.rocks cases fetched from 127.0.0.1, the pingback
fallback, and the Link header grammar, on pages as plain values."""

from __future__ import annotations

import pytest

from pingsvc.fetch.client import fetch
from pingsvc.fetch.discovery import (
    Endpoint,
    endpoint_of,
    header_links,
    pingback_endpoint,
    webmention_endpoint,
)
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from tests.send.rocks import CASES, Case
from tests.support.pageserver import PageServer

PAGE_URL = "https://target.example/posts/1"


@pytest.fixture
def policy(pages: PageServer) -> FetchPolicy:
    return FetchPolicy(timeout=3, allow=frozenset({pages.hostport}))


def page(body: str = "", headers: dict[str, str] | None = None, **kwargs: object) -> Page:
    values: dict[str, object] = {"url": PAGE_URL, "status_code": 200, "media_type": "text/html"}
    values.update(kwargs)
    return Page(body=body.encode(), headers=headers or {}, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.number}-{c.title}" for c in CASES])
def test_webmention_rocks_discovery(pages: PageServer, policy: FetchPolicy, case: Case) -> None:
    fetched = fetch(case.serve(pages), policy)
    assert endpoint_of(fetched) == Endpoint("webmention", case.endpoint(pages))


def test_no_endpoint_is_none() -> None:
    assert endpoint_of(page("<p>no endpoint, <a href='/webmention'>a link</a></p>")) is None


def test_the_endpoint_resolves_against_base_href() -> None:
    found = page('<base href="https://cdn.example/x/"><link rel=webmention href="wm">')
    assert webmention_endpoint(found) == "https://cdn.example/x/wm"


def test_rel_values_compare_case_insensitively() -> None:
    assert webmention_endpoint(page('<link rel="WebMention" href="/wm">')) == (
        "https://target.example/wm"
    )
    header = {"Link": "</wm>; REL=WEBMENTION"}
    assert webmention_endpoint(page(headers=header)) == "https://target.example/wm"


def test_a_non_html_target_is_read_for_its_link_header_only() -> None:
    image = page(
        '<link rel="webmention" href="/not-read">',
        {"Link": '<https://wm.example/e>; rel="webmention"'},
        media_type="image/png",
    )
    assert webmention_endpoint(image) == "https://wm.example/e"
    text = page('<link rel="webmention" href="/x">', media_type="text/plain")
    assert webmention_endpoint(text) is None


def test_header_links_keep_commas_inside_urls_and_quoted_values() -> None:
    value = (
        '<https://a.example/x,y>; title="one, two"; rel="other", '
        "<https://b.example/wm>; rel=webmention; rel=other"
    )
    assert list(header_links(value)) == [
        ("https://a.example/x,y", {"title": "one, two", "rel": "other"}),
        ("https://b.example/wm", {"rel": "webmention"}),  # the first rel wins
    ]


def test_header_links_skip_what_does_not_parse() -> None:
    value = '<https://a.example/1>; rel="a" junk, no url here, <https://b.example/2>; rel=b'
    assert [url for url, _ in header_links(value)] == ["https://a.example/1", "https://b.example/2"]
    assert list(header_links("<unterminated; rel=webmention")) == []


def test_pingback_header_comes_before_the_link_tag() -> None:
    both = page(
        '<link rel="pingback" href="https://tag.example/xmlrpc">',
        {"X-Pingback": "https://header.example/xmlrpc.php"},
    )
    assert endpoint_of(both) == Endpoint("pingback", "https://header.example/xmlrpc.php")
    tag_only = page('<a rel="pingback" href="/a-is-not-read"><link rel="pingback" href="/xmlrpc">')
    assert endpoint_of(tag_only) == Endpoint("pingback", "https://target.example/xmlrpc")


def test_pingback_is_the_fallback_only() -> None:
    both = page('<link rel="webmention" href="/wm">', {"X-Pingback": "https://p.example/xmlrpc"})
    assert endpoint_of(both) == Endpoint("webmention", "https://target.example/wm")
    assert pingback_endpoint(both) == "https://p.example/xmlrpc"


def test_an_empty_pingback_href_is_no_endpoint() -> None:
    assert pingback_endpoint(page('<link rel="pingback" href="">', {"X-Pingback": " "})) is None


def test_a_malformed_endpoint_is_skipped_like_a_missing_one() -> None:
    header = {"Link": '<http://[oops/>; rel="webmention"'}
    html = '<link rel="webmention" href="http://[bad/"><a rel="webmention" href="/wm">e</a>'
    assert webmention_endpoint(page(html, header)) == "https://target.example/wm"
    assert pingback_endpoint(page(headers={"X-Pingback": "http://[x"})) is None
