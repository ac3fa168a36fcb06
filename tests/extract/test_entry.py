"""Extraction rules, one at a time, on small pages (pure: no network, no database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mf2py
import pytest

from pingsvc.errors import SourceGone
from pingsvc.extract.entry import MentionData, extract, iso_date, summarize
from pingsvc.extract.excerpt import split_title
from pingsvc.fetch.page import Page
from pingsvc.sanitize import clean_html, safe_url, text_of

TARGET = "https://blog.example/post/1"
SOURCE = "https://alice.example/2024/03/reply"
PAGES = Path(__file__).resolve().parent.parent / "pages"


def page(html: str, url: str = SOURCE, media_type: str = "text/html") -> Page:
    return Page(url=url, status_code=200, media_type=media_type, body=html.encode())


def run(
    html: str, fetch_mf2: Callable[[str], dict[str, Any]] | None = None, **kw: Any
) -> MentionData:
    return extract(page(html), TARGET, fetch_mf2, **kw)


LIKE = f"<a class='u-like-of' href='{TARGET}'>x</a>"


def h_entry(inner: str, author: str = "<a class='p-author h-card' href='/'>Alice</a>") -> str:
    return f"<html><body><article class='h-entry'>{author}{inner}</article></body></html>"


def author_pages(pages: dict[str, str]) -> Callable[[str], dict[str, Any]]:
    """A fetch_mf2 over fixed author pages that records what it was asked for."""
    asked: list[str] = []

    def fetch_mf2(url: str) -> dict[str, Any]:
        asked.append(url)
        if url not in pages:
            raise LookupError(f"404 {url}")
        return mf2py.parse(doc=pages[url], url=url, html_parser="lxml")

    fetch_mf2.asked = asked  # type: ignore[attr-defined]
    return fetch_mf2


# Post type and wm-property


@pytest.mark.parametrize(
    ("markup", "prop"),
    [
        (f"<a class='u-in-reply-to' href='{TARGET}'>re</a>", "in-reply-to"),
        (f"<a class='u-like-of' href='{TARGET}'>liked</a>", "like-of"),
        (f"<a class='u-repost-of' href='{TARGET}'>reposted</a>", "repost-of"),
        (f"<a class='u-bookmark-of' href='{TARGET}'>saved</a>", "bookmark-of"),
        (f"<a class='u-mention-of' href='{TARGET}'>see</a>", "mention-of"),
        (f"<p class='e-content'>A plain <a href='{TARGET}'>link</a>.</p>", "mention-of"),
    ],
)
def test_the_property_naming_the_target_is_the_wm_property(markup: str, prop: str) -> None:
    assert run(h_entry(markup)).property == prop


@pytest.mark.parametrize("answer", ["yes", "no", "maybe", "interested", " Yes "])
def test_an_rsvp_to_the_target_is_an_rsvp_with_its_answer(answer: str) -> None:
    data = run(h_entry(
        f"<a class='u-in-reply-to' href='{TARGET}'>event</a><data class='p-rsvp' value='{answer}'>"
    ))  # fmt: skip
    assert (data.property, data.rsvp, data.post_type) == ("rsvp", answer.strip().lower(), "rsvp")


def test_an_unknown_rsvp_value_is_a_plain_reply() -> None:
    data = run(h_entry(
        f"<a class='u-in-reply-to' href='{TARGET}'>x</a><span class='p-rsvp'>attending</span>"
    ))  # fmt: skip
    assert (data.property, data.rsvp) == ("in-reply-to", None)


def test_a_reply_to_a_comment_fragment_of_the_target_is_a_reply_to_the_target() -> None:
    cite = (
        f"<div class='u-in-reply-to h-cite'><a class='u-url' href='{TARGET}#comment-12'>c</a></div>"
    )
    data = run(h_entry(cite + "<p class='e-content'>Yes.</p>"))
    assert data.property == "in-reply-to"
    assert data.in_reply_to == [f"{TARGET}#comment-12"]


def test_the_strongest_relation_wins_when_an_entry_has_several() -> None:
    markup = f"<a class='u-like-of u-in-reply-to' href='{TARGET}'>x</a>"
    assert run(h_entry(markup)).property == "in-reply-to"


def test_scheme_and_trailing_slash_do_not_hide_the_relation() -> None:
    markup = "<a class='u-like-of' href='http://blog.example/post/1/'>x</a>"
    markup += f"<p class='e-content'><a href='{TARGET}'>post</a></p>"
    assert run(h_entry(markup)).property == "like-of"


def test_a_longer_url_containing_the_target_is_not_the_target() -> None:
    markup = "<a class='u-in-reply-to' href='https://blog.example/post/12'>other</a>"
    markup += f"<p class='e-content'>See <a href='{TARGET}'>this</a>.</p>"
    assert run(h_entry(markup)).property == "mention-of"


def test_of_several_entries_the_one_that_links_is_used() -> None:
    html = (
        "<div class='h-entry'><a class='p-author h-card' href='/a'>Ann</a>"
        "<p class='e-content'>Nothing here.</p></div>"
        "<div class='h-entry'><a class='p-author h-card' href='/b'>Ben</a>"
        f"<p class='e-content'>Look <a href='{TARGET}'>here</a>.</p></div>"
    )
    data = run(html)
    assert (data.author_name, data.content_text) == ("Ben", "Look here.")


def test_an_entry_in_a_feed_takes_the_feeds_author() -> None:
    html = (
        "<div class='h-feed'><a class='p-author h-card' href='/'>Chloé</a>"
        "<div class='h-entry'><p class='e-content'>one</p></div>"
        f"<div class='h-entry'><p class='e-content'><a href='{TARGET}'>two</a></p></div></div>"
    )
    data = run(html)
    assert (data.author_name, data.author_url, data.content_text) == (
        "Chloé",
        "https://alice.example/",
        "two",
    )


def test_a_feed_whose_entries_do_not_link_falls_back_to_the_page() -> None:
    html = (
        "<html><head><title>Home | Alice's notes</title></head><body>"
        "<div class='h-entry'><p class='e-content'>one</p></div>"
        "<div class='h-entry'><p class='e-content'>two</p></div>"
        f"<aside><p>Blogroll: I read <a href='{TARGET}'>Bob</a> daily.</p></aside></body></html>"
    )
    data = run(html)
    assert (data.microformats, data.name, data.site_name) == (False, "Home", "Alice's notes")
    assert data.content_text == "[…] Blogroll: I read Bob daily. […]"


def test_a_comment_on_the_page_that_links_is_the_mention() -> None:
    html = (
        "<article class='h-entry'><a class='p-author h-card' href='/'>Host</a>"
        "<p class='e-content'>My post.</p>"
        "<div class='p-comment h-entry'><a class='p-author h-card' href='https://gus.example/'>"
        f"Gus</a><p class='e-content'>See <a href='{TARGET}'>Bob</a>.</p></div></article>"
    )
    data = run(html)
    assert (data.author_name, data.content_text) == ("Gus", "See Bob.")


def test_post_type_discovery_tells_an_article_from_a_note() -> None:
    article = run(
        h_entry(f"<h1 class='p-name'>Title</h1><p class='e-content'><a href='{TARGET}'>x</a> y</p>")
    )
    note = run(h_entry(f"<p class='e-content'><a href='{TARGET}'>x</a> y</p>"))
    assert (article.post_type, note.post_type) == ("article", "note")


# Authorship


def test_a_p_author_h_card_gives_name_url_and_absolute_photo() -> None:
    author = "<a class='p-author h-card' href='/me'><img src='/me.jpg' alt=''>Alice A.</a>"
    data = run(h_entry(f"<a class='u-like-of' href='{TARGET}'>x</a>", author))
    assert (data.author_name, data.author_url, data.author_photo) == (
        "Alice A.",
        "https://alice.example/me",
        "https://alice.example/me.jpg",
    )


ABOUT = """<html><body><div class="h-card"><a class="u-url u-uid p-name" href="{url}">Marguerite</a>
<img class="u-photo" src="/m.png" alt=""></div></body></html>"""


def test_an_author_url_is_resolved_by_the_author_pages_representative_h_card() -> None:
    about = "https://alice.example/about"
    fetch_mf2 = author_pages({about: ABOUT.format(url="/about/")})
    data = run(
        h_entry(
            f"<a class='u-mention-of' href='{TARGET}'>x</a>",
            "<a class='u-author' href='/about'></a>",
        ),
        fetch_mf2,
    )
    assert (data.author_name, data.author_url, data.author_photo) == (
        "Marguerite",
        "https://alice.example/about/",
        "https://alice.example/m.png",
    )
    assert fetch_mf2.asked == [about]  # type: ignore[attr-defined]


def test_rel_author_is_followed_when_the_entry_names_no_author() -> None:
    about = "https://alice.example/about"
    html = (
        f"<link rel='author' href='/about'><div class='h-entry'><p class='e-content'>"
        f"<a href='{TARGET}'>x</a></p></div>"
    )
    data = run(html, author_pages({about: ABOUT.format(url=about)}))
    assert (data.author_name, data.author_url) == ("Marguerite", about)


def test_an_author_page_card_linked_by_rel_me_is_used() -> None:
    about = "https://alice.example/about"
    card = "<div class='h-card'><a class='u-url p-name' rel='me' href='https://alice.example/'>Al</a></div>"
    data = run(h_entry(LIKE, f"<a class='u-author' href='{about}'></a>"),
               author_pages({about: card}))  # fmt: skip
    assert (data.author_name, data.author_url) == ("Al", "https://alice.example/")


def test_the_entry_pages_own_h_card_for_the_author_url_is_used_when_its_page_has_none() -> None:
    html = "<header class='h-card'><a class='u-url p-name' href='/'>Hannah</a></header>" + h_entry(
        f"<a class='u-bookmark-of' href='{TARGET}'>x</a>", "<a class='u-author' href='/'></a>"
    )
    fetch_mf2 = author_pages({})  # the author page can't be read
    data = run(html, fetch_mf2)
    assert (data.author_name, data.author_url) == ("Hannah", "https://alice.example/")
    assert fetch_mf2.asked == ["https://alice.example/"]  # type: ignore[attr-defined]


def test_a_plain_text_author_is_the_name() -> None:
    data = run(
        h_entry(
            f"<a class='u-like-of' href='{TARGET}'>x</a>", "<span class='p-author'>Jane Doe</span>"
        )
    )
    assert (data.author_name, data.author_url) == ("Jane Doe", None)


def test_a_nameless_author_card_is_resolved_through_its_url() -> None:
    about = "https://alice.example/about"
    data = run(h_entry(LIKE, f"<a class='p-author h-card' href='{about}'></a>"),
               author_pages({about: ABOUT.format(url=about)}))  # fmt: skip
    assert data.author_name == "Marguerite"


def test_an_author_url_nobody_can_name_keeps_the_url_and_shows_the_host() -> None:
    data = run(h_entry(f"<a class='u-like-of' href='{TARGET}'>x</a>", "<a class='u-author' href='https://zed.example/me'></a>"),
               author_pages({}))  # fmt: skip
    assert (data.author_name, data.author_url) == ("zed.example", "https://zed.example/me")


def test_the_pages_representative_h_card_is_the_fallback_author() -> None:
    html = (
        "<header class='h-card'><a class='u-url u-uid p-name' rel='me' href='/'>Olu</a></header>"
        f"<div class='h-entry'><p class='e-content'><a href='{TARGET}'>x</a></p></div>"
    )
    assert (run(html).author_name, run(html).author_url) == ("Olu", "https://alice.example/")


def test_without_any_author_markup_the_site_name_then_the_host_is_shown() -> None:
    entry = f"<div class='h-entry'><p class='e-content'><a href='{TARGET}'>x</a></p></div>"
    named = run(f"<head><meta property='og:site_name' content='Alice Weekly'></head>{entry}")
    assert (named.author_name, named.author_url) == ("Alice Weekly", None)
    assert (run(entry).author_name, run(entry).author_url) == ("alice.example", None)


def test_author_urls_and_photos_must_be_http() -> None:
    author = (
        "<span class='p-author h-card'><a class='u-url p-name' href='javascript:alert(1)'>Eve</a>"
        "<img class='u-photo' src='data:image/png;base64,AA'></span>"
    )
    data = run(h_entry(f"<a class='u-like-of' href='{TARGET}'>x</a>", author))
    assert (data.author_name, data.author_url, data.author_photo) == ("Eve", None, None)


# Content


HOSTILE = f"""<p>Fine <b>text</b> with <a href="/rel">a relative link</a>
and <a href="{TARGET}">the post</a>.</p>
<script>alert(1)</script><img src="x.png" onerror="alert(2)"><img src="data:image/png;base64,AA">
<p style="color:red" onclick="alert(3)">Styled</p><a href="javascript:alert(4)">js</a>
<iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/"><button>Log in</button></form>"""


def test_content_is_sanitized_with_absolute_urls() -> None:
    data = run(h_entry(f"<div class='e-content'>{HOSTILE}</div>"))
    html = data.content_html or ""
    for banned in (
        "<script",
        "onerror",
        "onclick",
        "style=",
        "javascript:",
        "data:",
        "<iframe",
        "<form",
        "Log in",
    ):
        assert banned not in html
    assert '<a href="https://alice.example/rel" rel="nofollow ugc noopener noreferrer">' in html
    assert '<img src="https://alice.example/2024/03/x.png">' in html
    assert data.content_text == "Fine text with a relative link and the post.\n\nStyled\n\njs"


def test_relative_urls_in_content_follow_base_href() -> None:
    html = "<head><base href='https://cdn.alice.example/site/'></head>" + h_entry(
        f"<div class='e-content'><a href='{TARGET}'>post</a> <img src='pic.png' alt='a pic'></div>"
    )
    data = run(html)
    assert 'src="https://cdn.alice.example/site/pic.png"' in (data.content_html or "")
    assert data.content_text == "post a pic"


def test_sanitizer_rules_on_their_own() -> None:
    assert clean_html(
        '<img src="//cdn.example/a.png" width="10%" height="20">', "https://a.example/"
    ) == ('<img src="https://cdn.example/a.png" height="20">')
    assert clean_html('<a href="mailto:a@b.example">m</a>', "https://a.example/") == (
        '<a href="mailto:a@b.example" rel="nofollow ugc noopener noreferrer">m</a>'
    )
    assert (
        clean_html(
            "<img src='mailto:a@b.example'><svg><a href='x'>s</a></svg>", "https://a.example/"
        )
        == "<img>"
    )
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://a.example/a b") is None
    assert safe_url(" https://a.example/ ") == "https://a.example/"
    assert (
        text_of("<ul><li>one</li><li>two</li></ul><p>three<br>four</p>")
        == "one\ntwo\n\nthree\nfour"
    )


def test_a_long_post_gets_a_summary_cut_on_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(100))
    data = run(
        h_entry(f"<p class='e-content'>{words} <a href='{TARGET}'>x</a></p>"), summary_length=50
    )
    assert data.summary is not None and data.summary.endswith("…")
    assert len(data.summary) <= 51 and data.summary[:-1] in words
    assert words.startswith(data.summary[:-1] + " ")


def test_a_short_post_has_no_summary_and_an_explicit_one_is_kept() -> None:
    assert run(h_entry(f"<p class='e-content'>Short <a href='{TARGET}'>x</a></p>")).summary is None
    data = run(
        h_entry(
            f"<p class='p-summary'>In short.</p><p class='e-content'><a href='{TARGET}'>x</a></p>"
        )
    )
    assert data.summary == "In short."


def test_summarize_cuts_text_without_spaces_where_it_is() -> None:
    assert summarize("猫" * 400, 300) == "猫" * 300 + "…"
    assert summarize("a few words", 300) == "a few words"
    assert summarize("aaaa bbbb, cccc", 11) == "aaaa bbbb…"


# Names


def test_a_real_title_is_kept() -> None:
    html = h_entry(
        "<h1 class='p-name'>On queues</h1>"
        f"<div class='e-content'><p>Body <a href='{TARGET}'>x</a></p></div>"
    )
    assert run(html).name == "On queues"


@pytest.mark.parametrize(
    "html",
    [
        # an implied name: the whole text of a note
        f"<div class='h-entry'>Nice post <a class='u-in-reply-to' href='{TARGET}'>Bob</a></div>",
        # Known: p-name on the status text, inside a longer content
        h_entry("<div class='e-content'>Replied to "
                f"<a class='u-in-reply-to' href='{TARGET}'>x</a>: "
                "<span class='p-name'>this is the status text that the content repeats, "
                "all of it, word for word</span></div>"),
        # a note whose name is its first line
        h_entry(f"<p class='p-name e-content'>Hello there <a href='{TARGET}'>x</a></p>"),
    ],
)  # fmt: skip
def test_names_that_repeat_the_content_are_dropped(html: str) -> None:
    assert run(html).name is None


def test_a_note_without_content_shows_its_implied_name_as_its_text() -> None:
    data = run(
        f"<div class='h-entry'>Nice post <a class='u-in-reply-to' href='{TARGET}'>Bob</a></div>"
    )
    assert (data.name, data.content_text, data.content_html) == (
        None,
        "Nice post Bob",
        "Nice post Bob",
    )
    like = run(
        h_entry(f"<a class='u-like-of' href='{TARGET}'>liked</a>")
    )  # the author card is nested
    assert (like.name, like.content_text) == (None, None)


# Dates


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2024-03-05T10:12:00+0100", "2024-03-05T10:12:00+01:00"),
        ("2024-03-05T10:12:00+01:00", "2024-03-05T10:12:00+01:00"),
        ("2024-03-05 10:12:00 -0500", "2024-03-05T10:12:00-05:00"),
        ("2024-03-11T21:47:05Z", "2024-03-11T21:47:05+00:00"),
        ("2024-03-20T19:41:07.000Z", "2024-03-20T19:41:07+00:00"),
        ("2024-03-05T10:12+05", "2024-03-05T10:12:00+05:00"),
        ("2024-03-05T10:12:00", "2024-03-05T10:12:00"),
        ("2024-03-05", "2024-03-05"),
        ("Tue, 05 Mar 2024 10:12:00 +0000", "2024-03-05T10:12:00+00:00"),
        ("5 March 2024", None),
        ("2024-13-45", None),
        ("2024-03-05T10:12:00+25:00", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_iso_8601_with_the_pages_offset(raw: str | None, iso: str | None) -> None:
    assert iso_date(raw) == iso


def test_a_post_without_a_date_has_none() -> None:
    data = run(h_entry(f"<p class='e-content'><a href='{TARGET}'>x</a></p>"))
    assert (data.published, data.updated) == (None, None)


def test_entry_dates_are_normalised() -> None:
    data = run(h_entry(
        f"<p class='e-content'><a href='{TARGET}'>x</a></p>"
        "<time class='dt-published' datetime='2024-03-05T10:12:00+0100'></time>"
        "<time class='dt-updated' datetime='2024-03-06 08:00:00Z'></time>"
    ))  # fmt: skip
    assert (data.published, data.updated) == (
        "2024-03-05T10:12:00+01:00",
        "2024-03-06T08:00:00+00:00",
    )


# Pages without microformats


NEWS = f"""<html><head><title>Councils notice small sites – The Harbour Gazette</title>
<meta property="og:title" content="Councils notice small sites">
<meta property="og:site_name" content="The Harbour Gazette">
<script type="application/ld+json">
{{"@graph": [{{"@type": "NewsArticle", "datePublished": "2024-03-18T06:00:00Z"}}]}}
</script>
</head><body><nav><a href="{TARGET}">nav link</a></nav>
<p>Intro paragraph that is not near the link at all.</p>
<p>The council&rsquo;s developers say that after reading many guides, they based their
implementation on <a href="{TARGET}">a widely shared guide to receiving webmentions without a
database</a>, because the council&rsquo;s hosting contract did not include one &lt;script&gt;
and they wanted something that would run anywhere cheaply.</p>
</body></html>"""


def test_a_page_without_microformats_gets_title_site_name_and_the_wordpress_excerpt() -> None:
    data = run(NEWS.replace(f'<nav><a href="{TARGET}">nav link</a></nav>', ""))
    assert (data.name, data.site_name, data.author_name, data.author_url) == (
        "Councils notice small sites",
        "The Harbour Gazette",
        "The Harbour Gazette",
        None,
    )
    assert data.published == "2024-03-18T06:00:00+00:00"
    text = data.content_text or ""
    assert text.startswith("[…] ") and text.endswith(" […]")
    assert (
        "they based their implementation on a widely shared guide to receiving webmentions "
        "without a database, because the" in text
    )
    before, _, after = text[4:-4].partition("a widely shared guide")
    assert len(before) <= 101 and len(after) <= 101 + len(
        "to receiving webmentions without a database"
    )
    assert not before.startswith(
        "developers"
    )  # words are not cut: "council’s developers" starts after a space
    assert "Intro paragraph" not in text
    assert "&lt;script&gt;" in (data.content_html or "") and "<script" not in (
        data.content_html or ""
    )


def test_the_excerpt_skips_a_link_in_the_sites_navigation() -> None:
    text = run(NEWS).content_text or ""
    assert "a widely shared guide" in text and "nav link" not in text
    only_nav = f"<header><nav><a href='{TARGET}'>nav link</a></nav></header><p>Body.</p>"
    assert run(only_nav).content_text == "[…] nav link […]"


def test_a_link_alone_in_a_list_item_gets_its_lists_text_as_context() -> None:
    html = (
        "<p>Filler.</p><ul><li><a href='/a'>Some other article about webmentions</a></li>"
        f"<li><a href='{TARGET}'>Receiving webmentions</a></li>"
        "<li><a href='/c'>A third one, on pingbacks</a></li></ul>"
    )
    text = run(html).content_text or ""
    assert "Some other article about webmentions Receiving webmentions A third one" in text


def test_very_long_link_text_is_capped() -> None:
    html = f"<p>Before <a href='{TARGET}'>{'x' * 300}</a> after</p>"
    assert run(html).content_text == f"[…] Before {'x' * 100}… after […]"


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        (
            "Movie Review – Her | Fernby Films",
            "Fernby Films",
            ("Movie Review – Her", "Fernby Films"),
        ),
        ("Movie Review – Her | Fernby Films", None, ("Movie Review – Her", "Fernby Films")),
        ("Just a title", None, ("Just a title", None)),
        ("Title — Site", "Other", ("Title — Site", "Other")),
        (None, "Site", (None, "Site")),
    ],
)
def test_the_site_name_suffix_is_kept_apart_from_the_title(
    title: str | None, site: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert split_title(title, site) == expected


# Deleted posts and other media types


@pytest.mark.parametrize(
    "meta",
    [
        '<meta http-equiv="Status" content="410 Gone">',
        "<meta content='410 Gone' http-equiv='status'>",
    ],
)
def test_a_page_that_says_410_gone_is_gone(meta: str) -> None:
    with pytest.raises(SourceGone):
        run(f"<html><head>{meta}</head><body><a href='{TARGET}'>x</a></body></html>")


def test_an_entry_marked_deleted_is_gone() -> None:
    with pytest.raises(SourceGone):
        run(
            h_entry(
                f"<a class='u-in-reply-to' href='{TARGET}'>x</a>"
                "<time class='dt-deleted' datetime='2024-04-01'></time>"
            )
        )


def test_a_plain_text_source_gets_an_excerpt_around_the_target() -> None:
    text = "Hello list,\n\nI found this: " + TARGET + "\nwhich explains it.\n"
    data = extract(page(text, media_type="text/plain"), TARGET)
    assert data.content_text == f"[…] Hello list, I found this: {TARGET} which explains it. […]"
    assert (data.author_name, data.microformats) == ("alice.example", False)


def test_a_json_source_is_a_mention_by_its_host() -> None:
    data = extract(page(json.dumps({"url": TARGET}), media_type="application/json"), TARGET)
    assert (data.property, data.author_name, data.content_text) == (
        "mention-of",
        "alice.example",
        None,
    )


def test_a_base_href_that_is_not_http_is_ignored() -> None:
    html = "<head><base href='javascript:alert(1)//'></head>" + h_entry(
        f"<div class='e-content'><a href='/ok'>ok</a> <a href='{TARGET}'>post</a></div>"
    )
    data = run(html)
    assert '<a href="https://alice.example/ok"' in (data.content_html or "")
    assert clean_html("<a href='/x'>x</a>", "javascript:alert(1)//") == (
        '<a rel="nofollow ugc noopener noreferrer">x</a>'
    )


# The title and summary checks read only the start of a long post.


LONG_POST = " ".join(f"Word{i} and more, ünïcödé — text." for i in range(200))
TITLE_CASES = [
    ("A title", LONG_POST),
    (LONG_POST, LONG_POST),  # an implied name: the whole text
    (LONG_POST + " and a tail", LONG_POST),
    ("Word0 and more", LONG_POST),
    ("ﬁne ligatures", "ﬁne ligatures"),  # NFKD makes one character two
    ("Short", "Short"),
    ("x", "!!! ... " * 100),  # content without letters is inside any name
    ("", LONG_POST),
    ("A title", ""),
]


@pytest.mark.parametrize(("name", "content"), TITLE_CASES)
def test_the_title_check_answers_as_mf2util_does(name: str, content: str) -> None:
    import mf2util

    from pingsvc.extract.entry import is_name_a_title, post_type

    assert is_name_a_title(name, content) == mf2util.is_name_a_title(name, content)
    entry = {
        "type": ["h-entry"],
        "properties": {"name": [name], "content": [{"value": content, "html": content}]},
    }
    assert post_type(entry) == mf2util.post_type_discovery(entry)


@pytest.mark.parametrize("length", [10, 50, 300])
@pytest.mark.parametrize(
    "text",
    [
        LONG_POST,
        "word " * 2000,
        "  \n\t ".join(["Ünïcödé"] * 900),
        "x" * 5000,  # no spaces: cut where it is
        "short text",
        " " * 3000 + "late start " * 100,
    ],
)
def test_a_long_text_is_summarized_from_its_start_as_from_the_whole(text: str, length: int) -> None:
    from pingsvc.extract.excerpt import plain

    whole = plain(text) or ""
    expected = summarize(whole + "", length) if len(whole) <= 4 * length + 64 else None
    if expected is None:  # the reference: the same cut made on the whole plain text
        cut = whole[:length]
        space = cut.rfind(" ")
        if space >= length * 0.6:
            cut = cut[:space]
        expected = cut.rstrip(" ,;:.-–—") + "…"
    assert summarize(text, length) == expected


def test_the_page_rels_read_are_author_syndication_and_canonical_resolved_once() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from pingsvc.extract.excerpt import READ_RELS, read_page

    html = (
        "<html><head><base href='https://cdn.example/a/'><link rel='canonical' href='p'>"
        "</head><body><a rel='author me' href='/me'>me</a><a rel='nofollow ugc' href='/x'>c</a>"
        "<a rel='syndication' href='https://s.example/1'>s</a><a rel='AUTHOR' href='/me'>"
        "again</a></body></html>"
    )
    meta = read_page(LexborHTMLParser(html), SOURCE)
    assert meta.rels == {
        "canonical": ["https://cdn.example/a/p"],
        "author": ["https://cdn.example/me"],
        "syndication": ["https://s.example/1"],
    }
    assert meta.canonical == "https://cdn.example/a/p"
    assert set(meta.rels) <= READ_RELS
