"""pingsvc.send.links.post_links: which URLs of an author's post are targets, on pages as
plain values (it fetches nothing)."""

from __future__ import annotations

import pytest

from pingsvc.fetch.page import Page
from pingsvc.send.links import post_links

POST = "https://blog.example/2026/12/a-post"


def page(html: str, url: str = POST, media_type: str = "text/html") -> Page:
    return Page(url=url, status_code=200, media_type=media_type, body=html.encode())


ENTRY = f"""<html><body>
<nav><a href="https://menu.example/">menu</a></nav>
<article class="h-entry">
  <a class="u-url" href="{POST}">permalink</a>
  <p>In reply to <a class="u-in-reply-to" href="https://alice.example/notes/1">Alice</a>,
     liking <a class="u-like-of" href="https://bob.example/likes/2#top">Bob</a>.</p>
  <div class="e-content">
    <p>See <a href="/2026/11/older">my older post</a>, <a href="#notes">notes</a>,
       <a href="https://carol.example/essay#part-2">Carol</a> and
       <a href="https://carol.example/essay#part-3">Carol again</a>.</p>
    <p><a href="mailto:me@blog.example">mail</a> <a href="javascript:alert(1)">js</a>
       <a href="ftp://files.example/x">ftp</a> <a href="//dave.example/x">Dave</a>
       <a href="https://alice.example/notes/1">Alice, again</a>
       <img src="https://images.example/cat.jpg"></p>
  </div>
  <div class="p-comment h-cite">
    <a class="u-author h-card" href="https://commenter.example/">Eve</a>
    <p class="p-content">Nice! <a href="https://spam.example/">buy</a></p>
  </div>
</article>
<aside><a href="https://sidebar.example/">blogroll</a></aside>
<footer><a href="https://footer.example/">theme</a></footer>
</body></html>"""


def test_an_h_entry_gives_its_response_urls_then_its_content_links() -> None:
    assert post_links(page(ENTRY)) == [
        "https://alice.example/notes/1",
        "https://bob.example/likes/2",
        "https://carol.example/essay",
        "https://dave.example/x",
    ]


def test_own_host_links_only_when_asked_and_never_the_post_itself() -> None:
    assert post_links(page(ENTRY), include_own_host=True) == [
        "https://alice.example/notes/1",
        "https://bob.example/likes/2",
        "https://blog.example/2026/11/older",
        "https://carol.example/essay",
        "https://dave.example/x",
    ]


def test_a_collapsed_e_content_resolves_relative_links_against_base_href() -> None:
    html = (
        '<html><head><base href="https://cdn.example/b/"></head><body>'
        '<div class="h-entry"><div class="e-content"><p>one <a href="x">x</a></p>'
        '<p>two <a href="../y">y</a></p></div></div></body></html>'
    )
    assert post_links(page(html)) == ["https://cdn.example/b/x", "https://cdn.example/y"]


def test_the_entry_whose_url_is_the_page_is_the_post() -> None:
    html = f"""<div class="h-feed">
      <div class="h-entry"><a class="u-url" href="https://blog.example/other">o</a>
        <div class="e-content"><a href="https://wrong.example/">no</a></div></div>
      <div class="h-entry"><a class="u-url" href="{POST}">me</a>
        <div class="e-content"><a href="https://right.example/">yes</a></div></div>
    </div>"""
    assert post_links(page(html)) == ["https://right.example/"]


def test_an_entry_with_nothing_to_go_by_falls_back_to_the_page() -> None:
    html = (
        '<body><main><div class="h-entry"><span class="p-name">Title</span></div>'
        '<p><a href="https://found.example/">a link</a></p></main></body>'
    )
    assert post_links(page(html)) == ["https://found.example/"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "<body><header><a href='https://h.example/'>h</a></header>"
            "<main><p><a href='https://in-main.example/'>m</a></p>"
            "<aside><a href='https://aside.example/'>a</a></aside></main>"
            "<footer><a href='https://f.example/'>f</a></footer></body>",
            ["https://in-main.example/"],
        ),
        (
            "<body><div><a href='https://outside.example/'>o</a></div>"
            "<article><header><a href='https://byline.example/'>b</a></header>"
            "<p><a href='https://in-article.example/'>a</a></p></article>"
            "<article><a href='https://second-article.example/'>2</a></article></body>",
            ["https://byline.example/", "https://in-article.example/"],
        ),
        (
            "<body><header><a href='https://h.example/'>h</a></header>"
            "<nav><a href='https://n.example/'>n</a></nav>"
            "<p>Text <a href='https://body.example/'>b</a></p>"
            "<form><a href='https://form.example/'>help</a></form>"
            "<footer><a href='https://f.example/'>f</a></footer></body>",
            ["https://body.example/"],
        ),
    ],
    ids=["main", "first-article", "body-less-furniture"],
)
def test_a_page_without_microformats(html: str, expected: list[str]) -> None:
    assert post_links(page(html)) == expected


def test_only_html_has_links_to_send_to() -> None:
    assert post_links(page('{"url": "https://a.example/"}', media_type="application/json")) == []


def test_malformed_hrefs_are_skipped() -> None:
    html = "<main><a href='http://[oops/'>bad</a><a href='https://ok.example/'>ok</a></main>"
    assert post_links(page(html)) == ["https://ok.example/"]
