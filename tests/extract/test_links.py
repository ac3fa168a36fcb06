"""links_to: does the source page really link to the target? (pure: pages built in memory)"""

from __future__ import annotations

import json

import pytest

from pingsvc.errors import FetchError
from pingsvc.extract.links import html_links, links_to
from pingsvc.fetch.page import Page

TARGET = "https://blog.example/post/1"


def page(body: str, media_type: str = "text/html", url: str = "https://alice.example/p") -> Page:
    return Page(url=url, status_code=200, media_type=media_type, body=body.encode())


@pytest.mark.parametrize(
    "html",
    [
        f"<a href='{TARGET}'>post</a>",
        f"<a href=' {TARGET} '>spaces around</a>",
        f"<a href='{TARGET}#comment-12'>a comment on it</a>",
        "<a href='HTTPS://Blog.Example:443/post/1'>odd case and default port</a>",
        f"<img src='{TARGET}'>",
        f"<link rel='in-reply-to' href='{TARGET}'>",
        f"<map><area href='{TARGET}'></map>",
        "<base href='https://blog.example/'><a href='post/1'>relative to base</a>",
        "<a href='//blog.example/post/1'>scheme-relative</a>",
    ],
)
def test_a_real_link_to_the_target_counts(html: str) -> None:
    assert links_to(page(html), TARGET)


def test_a_relative_link_resolves_against_the_page() -> None:
    assert links_to(page("<a href='/post/1'>mine</a>", url="https://blog.example/other"), TARGET)


@pytest.mark.parametrize(
    "html",
    [
        "<a href='https://blog.example/post/12'>a longer URL</a>",
        "<a href='https://blog.example/post/1/comments'>a page below it</a>",
        "<a href='https://blog.example/'>the home page</a>",
        f"<p>Plain text {TARGET}</p><code>{TARGET}</code>",
        f"<!-- <a href='{TARGET}'>commented out</a> -->",
        f"<!--[if IE]><a href='{TARGET}'>ie</a><![endif]-->",
        f"<script>var u = '{TARGET}'; document.write('<a href=\"{TARGET}\">x</a>')</script>",
        f"<textarea><a href='{TARGET}'>x</a></textarea>",
        f"<div data-href='{TARGET}' data-target='{TARGET}'>x</div>",
        f"<form><input type='hidden' value='{TARGET}'></form>",
        f"<a href=\"javascript:location='{TARGET}'\">js</a>",
        f"<a>no href</a><a href=''>empty</a> {TARGET}",
    ],
)
def test_anything_but_a_link_to_the_target_does_not_count(html: str) -> None:
    assert not links_to(page(html), TARGET)


def test_html_links_lists_resolved_urls_in_document_order() -> None:
    html = "<base href='https://b.example/x/'><a href='y'>1</a><img src='/z.png'><a>none</a>"
    assert list(html_links(html, "https://a.example/")) == [
        "https://b.example/x/y",
        "https://b.example/z.png",
    ]


def test_json_sources_are_searched_for_the_target_as_a_value() -> None:
    feed = {"items": [{"url": "https://a.example/1", "external_url": TARGET}]}
    assert links_to(page(json.dumps(feed), "application/json"), TARGET)
    assert links_to(page(json.dumps({"a": [{"b": TARGET + "#x"}]}), "application/ld+json"), TARGET)
    other = {"items": [{"external_url": "https://blog.example/post/12"}]}
    assert not links_to(page(json.dumps(other), "application/feed+json"), TARGET)


def test_invalid_json_is_an_error_that_says_so() -> None:
    with pytest.raises(FetchError, match="not valid JSON"):
        links_to(page("{not json", "application/json"), TARGET)


def test_plain_text_sources_count_the_target_in_the_text() -> None:
    assert links_to(page(f"See {TARGET}\n", "text/plain"), TARGET)
    assert not links_to(page("See https://blog.example/post/2\n", "text/plain"), TARGET)


def test_other_media_types_are_refused_with_the_type_named() -> None:
    with pytest.raises(FetchError, match="image/png"):
        links_to(page("\x89PNG", "image/png"), TARGET)


def test_plain_text_counts_only_the_whole_target_url_not_a_longer_one() -> None:
    from pingsvc.extract.links import links_to
    from pingsvc.fetch.page import Page

    def text_page(body: str) -> Page:
        return Page("http://127.0.0.1/notes.txt", 200, "text/plain", body.encode())

    target = "https://blog.example/post/1"
    assert not links_to(text_page("See https://blog.example/post/12 today."), target)
    assert links_to(text_page("See https://blog.example/post/1."), target)
    assert links_to(text_page("(https://blog.example/post/1#c2)"), target)


def test_http_https_and_a_trailing_slash_are_the_same_post_as_in_the_read_api() -> None:
    from pingsvc.extract.links import links_to
    from pingsvc.fetch.page import Page

    page = Page(
        "http://127.0.0.1/p.html",
        200,
        "text/html",
        b'<a href="https://blog.example/post/3">post</a> <a href="https://blog.example/post/44">x</a>',
    )
    assert links_to(page, "http://blog.example/post/3/")
    assert links_to(page, "https://BLOG.EXAMPLE:443/post/3")
    assert not links_to(page, "https://blog.example/post/4")


# links_to only resolves the links that may name the target's path; that must never hide one.

PAGE_URLS = ["https://alice.example/post/1", "https://blog.example/post/2/", "https://x.example/"]
TARGETS = ["https://blog.example/post/1", "https://blog.example/post/1/", "https://blog.example/"]
REFERENCES = [
    "https://blog.example/post/1", "HTTPS://BLOG.EXAMPLE/post/1/", "//blog.example/post/1",
    "http:/post/1", "http:post/1", "/post/1", "post/1", "1", "./1", "../post/1", "../1/",
    "/post/1/.", "/post/x/../1", "https://blog.example/post/x/../1", "https://blog.example/./post/1",
    "?", "#top", "", ".", "..", "/", "./", "/post/", "/post/12", "https://blog.example/post/12",
    "https://blog.example/post/1?x=1", "https://blog.example/post/1#c-2", "/post/1\t", " /post/1",
    "https://blog.example/po\nst/1", "/po\tst/1", "/post/\r1", "htt\tps://blog.example/post/1",
    "po\nst/1",
]  # fmt: skip


@pytest.mark.parametrize("page_url", PAGE_URLS)
@pytest.mark.parametrize("target", TARGETS)
def test_only_links_that_cannot_name_the_target_are_skipped(page_url: str, target: str) -> None:
    from urllib.parse import urlsplit

    from pingsvc.extract.links import _comparable

    wanted = _comparable(target)
    for reference in REFERENCES:
        html = f"<a href='{reference}'>x</a>"
        every = [u for u in html_links(html, page_url) if _comparable(u) == wanted]
        kept = list(html_links(html, page_url, urlsplit(target).path.rstrip("/")))
        assert all(u in kept for u in every), (reference, page_url, target)
