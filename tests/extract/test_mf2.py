"""pingsvc.extract.mf2: what mf2py is given (the outline, collapsed contents, linear mf1
backcompat) changes nothing extraction finds (pure: no network, no database)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import mf2py
import pytest
from mf2py import backcompat

from pingsvc.errors import SourceGone
from pingsvc.extract import mf2
from pingsvc.extract.entry import MentionData, extract
from pingsvc.fetch.page import decode_body
from pingsvc.sanitize import clean_html
from tests.extract.test_entry import PAGES, SOURCE, TARGET, h_entry, page, run

# mf1 backcompat, as WordPress themes emit it


WORDPRESS_MF1 = f"""<html><body class="single"><div id="content" class="hfeed">
<article class="post hentry"><h1 class="entry-title">A classic post</h1>
<span class="byline author vcard"><a class="url fn n" href="/author/sam/">Sam</a></span>
<time class="published" datetime="2014-01-12T09:30:00+00:00">January 12</time>
<div class="entry-content"><p>I liked <a href="{TARGET}">this review</a>.</p></div>
</article></div></body></html>"""


def test_wordpress_mf1_markup_is_read_through_backcompat() -> None:
    data = run(WORDPRESS_MF1)
    assert (data.name, data.author_name, data.author_url) == (
        "A classic post",
        "Sam",
        "https://alice.example/author/sam/",
    )
    assert (data.published, data.content_text) == (
        "2014-01-12T09:30:00+00:00",
        "I liked this review.",
    )


def test_the_linear_backcompat_rule_parses_exactly_as_upstream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = (PAGES / "wp-classic-pingback.html").read_text()
    fast = mf2py.parse(doc=html, url=SOURCE, html_parser="lxml")
    monkeypatch.setattr(backcompat, "_make_classes_rule", mf2.UPSTREAM_CLASSES_RULE)
    upstream = mf2py.parse(doc=html, url=SOURCE, html_parser="lxml")
    assert json.dumps(fast, sort_keys=True) == json.dumps(upstream, sort_keys=True)
    assert fast["items"][0]["type"] == ["h-feed"]


def test_pages_without_root_classes_are_not_given_to_mf2py() -> None:
    assert mf2.parse("<div class='h-full h-screen'><p>Tailwind</p></div>", SOURCE)["items"] == []
    assert not mf2.may_have_microformats("<div class='h-full'>x</div>")
    assert mf2.may_have_microformats("<div class='post hentry'>x</div>")


def test_tailwind_height_classes_inside_an_entry_do_not_swallow_its_content() -> None:
    html = (
        "<article class='h-entry'><div class=\"mx-auto h-full md:h-screen h-dvh\">"
        f"<div class='e-content'>Hi <a href='{TARGET}'>Bob</a></div></div></article>"
    )
    (item,) = mf2.parse(html, SOURCE)["items"]
    assert item.get("children") is None
    assert run(html).content_text == "Hi Bob"
    assert "h-full" in html  # the page itself is left alone


# Only what mf2py needs is parsed by it; that changes nothing it finds.

DIFFERENT_ON_PURPOSE = {
    "hostile-markup.html",  # lexbor parses the MathML mXSS payload as browsers do, lxml not
    "tailwind-h-entry.html",  # Tailwind's h-full etc. are taken out on purpose
}
MF_PAGES = [
    p.name
    for p in sorted(PAGES.glob("*.html"))
    if p.name not in DIFFERENT_ON_PURPOSE
    and mf2.may_have_microformats(decode_body(p.read_bytes(), None))
]

_NAV = "<header><nav><a href='/'>Home</a> <a href='/about'>About</a></nav></header>"
_FOOT = "<footer><p>&copy; 2024 <a href='/feed.xml'>Feed</a></p></footer>"
_REPLY = (
    f"<a class='u-in-reply-to' href='{TARGET}'>in reply to</a>"
    "<span class='p-name e-content'>This is a reply, <b>with markup</b>.</span>"
    "<time class='dt-published' datetime='2024-03-05T10:12:00+01:00'>5 March</time>"
    "<a class='p-author h-card' href='https://alice.example/'>Alice Example</a>"
)
_HEAD = "<head><title>A reply</title><link rel='me' href='https://alice.example/'></head>"
# Where a root may stand, and what mf2py must see of it: the outline keeps a root whole
# wherever it is, and mf2py ignores <template> as browsers do.
ROOT_PLACEMENTS = {
    "root-on-body": f"<html>{_HEAD}<body class='h-entry'>{_NAV}{_REPLY}{_FOOT}</body></html>",
    "root-on-html": f"<html class='h-entry'>{_HEAD}<body>{_NAV}{_REPLY}{_FOOT}</body></html>",
    "root-on-head": "<html><head class='h-entry'><title>The head's title</title></head>"
    f"<body>{_NAV}<p class='e-content'>Hi <a href='{TARGET}'>there</a></p></body></html>",
    "card-in-head": "<html><head><title>t</title><div class='h-card'>Alice in head</div></head>"
    f"<body><article class='h-entry'>{_REPLY}</article></body></html>",
    "mf1-in-body-root": "<html><body class='h-entry'><div id='page' class='hfeed site'>"
    "<h1 class='entry-title'><span class='p-name'>title</span></h1> other content"
    f"<div class='entry-content'><div class='e-content'>a <a href='{TARGET}'>link</a></div>"
    "</div></div></body></html>",
    "comment-in-body-root": f"<html><body class='h-entry'>{_NAV}{_REPLY}<ol>"
    "<li class='u-comment h-cite'><a class='p-author h-card' href='https://bob.example/'>Bob"
    "</a><p class='p-content'>A comment.</p></li></ol>{_FOOT}</body></html>",
    "template-roots": f"<html><body>{_NAV}<template><div class='h-entry'><p class='e-content'>"
    "never shown</p></div></template><article class='h-entry'><div class='e-content'><p>Real "
    f"<a href='{TARGET}'>post</a></p><template><span class='h-card'>Ghost</span></template>"
    "<p>More text.</p></div></article></body></html>",
    "template-in-body-root": f"<html><body class='h-entry'>{_REPLY}<template><p class='p-name'>"
    "not this</p><div class='h-card'>Ghost</div></template></body></html>",
    "nested-roots": f"<html><body>{_NAV}<main><div class='h-feed'><span class='p-name'>Notes"
    "</span><article class='h-entry'><div class='u-in-reply-to h-cite'><a class='u-url' "
    f"href='{TARGET}'>the post</a> by <span class='p-author h-card'>Bob</span></div>"
    "<div class='e-content'><p>Quoting:</p><blockquote class='h-entry'><p class='p-name'>Inner"
    "</p></blockquote></div><a class='p-author h-card' href='https://alice.example/'>Alice</a>"
    f"</article></div></main>{_FOOT}</body></html>",
}


def _comparable(value: Any, base: str) -> Any:
    """mf2 items with each e-* property as a reader gets it: its HTML sanitized (which also
    makes its URLs absolute, as mf2py does) and its text as letters only (which is all post
    type discovery compares); the collapsed insides differ from mf2py's only in markup
    spelling and spacing."""
    if isinstance(value, dict):
        if "html" in value:
            value = {**value, "html": _markup(clean_html(value["html"], base))}
            value["value"] = "".join(ch for ch in value["value"].lower() if ch.isalnum())
        return {key: _comparable(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item, base) for item in value]
    return value


def _base(text: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    return mf2._base_url(LexborHTMLParser(text), SOURCE)


def _equivalence_page(name: str) -> str:
    if name in ROOT_PLACEMENTS:
        return ROOT_PLACEMENTS[name]
    return decode_body((PAGES / name).read_bytes(), None)


@pytest.mark.parametrize("name", [*MF_PAGES, *ROOT_PLACEMENTS])
def test_the_outline_gives_mf2py_the_same_items_as_the_whole_page(name: str) -> None:
    text = _equivalence_page(name)
    whole = mf2py.parse(doc=text, url=SOURCE, html_parser="lxml", filter_roots=True)
    assert mf2.parse(text, SOURCE, collapse=False)["items"] == whole["items"]
    base = _base(text)
    assert _comparable(mf2.parse(text, SOURCE)["items"], base) == _comparable(whole["items"], base)


_CITE = (
    "<li class='comment'><article class='p-comment h-cite'><span class='p-author h-card'>"
    "<img class='u-photo' src='/a{0}.png' alt=''><a class='p-name u-url' href='https://c{0}"
    ".example/'>C {0}</a></span><a class='u-url' href='#c{0}'><time class='dt-published' "
    "datetime='2024-01-0{0}T10:00:00Z'>1 Jan</time></a><p class='p-content'>Comment {0}</p>"
    "</article>{1}</li>"
)
_THREAD = "<ol>" + _CITE.format(1, "<ol class='children'>" + _CITE.format(2, "") + "</ol>")
_THREAD += _CITE.format(3, "") + _CITE.format(4, "") + "</ol>"
# Pages whose comment threads sit where dropping repeated comments must not change what
# mf2py finds: beside a time-only date, in an entry without a name, in a feed, in
# properties, next to cards outside every entry.
COMMENT_THREADS = {
    "thread-time-only-date": "<article class='h-entry'><p class='e-content'>Hi <a href='"
    f"{TARGET}'>t</a></p><time class='dt-published'>2024-03-05 10:00</time>{_THREAD}"
    f"<time class='dt-updated'>11:30</time>{_THREAD}<time class='dt-end'>12:00</time>"
    "</article>",
    "thread-no-name": f"<div class='h-entry'><a class='u-like-of' href='{TARGET}'>x</a>"
    f"<div>{_THREAD}</div></div>",
    "thread-only": f"<div class='h-entry'>Likes <a href='{TARGET}'>t</a> {_THREAD}</div>",
    "thread-in-feed": f"<div class='h-feed'><div class='h-entry'><p class='p-name'>A</p>"
    f"{_THREAD}</div><div class='h-entry'><a class='u-in-reply-to' href='{TARGET}'>r</a>"
    f"{_THREAD}</div></div>",
    "thread-in-content": f"<article class='h-entry'><div class='e-content'><a href='{TARGET}'>"
    f"t</a>{_THREAD}</div>{_THREAD}</article>",
    "thread-other-property": "<article class='h-entry'><a class='u-in-reply-to' href='"
    f"{TARGET}'>r</a><ol><li class='p-comment u-url h-cite'><a href='/c'>c</a></li>"
    "<li class='p-comment h-cite'>x</li></ol></article>",
    "cards-outside-entries": "<header class='h-card'><a class='u-url p-name' href='/'>Site"
    "</a></header><article class='h-entry'><p class='e-content'>Hi <a href='"
    f"{TARGET}'>t</a></p><a class='u-author' href='/'>me</a></article><div class='vcard'>"
    "<span class='fn'>Old</span></div><div class='h-cite'><div class='h-entry'>"
    "<p class='p-name'>Quoted</p></div></div>",
    "thread-beside-photo-and-form": f"<div class='h-entry'><img src='/only.png'><a href='"
    f"{TARGET}'>t</a>{_THREAD}<form><p><label>Name</label><input name='n'></p></form>"
    "<a rel='me' href='https://me.example/'>me</a></div>",
    "thread-in-an-entry-that-is-a-property": "<div class='h-feed'><div class='p-entry h-entry'>"
    f"<p>Text <a href='{TARGET}'>t</a> and <span>more</span></p>{_THREAD}<form>"
    "<input name='x'></form></div></div>",
    "thread-in-mf1-feed": f"<div class='hfeed'><article class='h-entry'><a class='u-like-of' "
    f"href='{TARGET}'>x</a>{_THREAD}</article></div>",
}


def _corpus_and_bench_pages() -> list[tuple[str, str, str]]:
    from bench.pages import heavy_page
    from bench.pages import page as bench_page
    from bench.pages import target as bench_target

    pages = [(name, decode_body((PAGES / name).read_bytes(), None), TARGET) for name in MF_PAGES]
    pages += [(name, text, TARGET) for name, text in ROOT_PLACEMENTS.items()]
    pages += [(f"bench-{i}", bench_page(i, bench_target(i)), bench_target(i)) for i in range(16)]
    pages += [(f"heavy-{i}", heavy_page(i, bench_target(i)), bench_target(i)) for i in range(16)]
    pages += [(name, text, TARGET) for name, text in COMMENT_THREADS.items()]
    return pages


@pytest.mark.parametrize(("name", "text", "target"), _corpus_and_bench_pages())
def test_collapsed_content_and_empty_comments_change_no_extracted_field(
    monkeypatch: pytest.MonkeyPatch, name: str, text: str, target: str
) -> None:
    collapsed = _extracted(text, target)
    parse = mf2.parse  # the reference: mf2py given every element of the outline
    monkeypatch.setattr(mf2, "parse", lambda text, url, **_: parse(text, url, collapse=False))
    whole = _extracted(text, target)
    if isinstance(whole, str):  # a page that says it is gone says so either way
        assert collapsed == whole
        return
    assert isinstance(collapsed, MentionData)
    # The HTML is spelled as lexbor serializes it, whitespace between blocks kept as the page
    # has it (lxml drops some), attributes in page order: the same elements, text and links.
    assert _markup(collapsed.content_html) == _markup(whole.content_html)
    assert dataclasses.replace(collapsed, content_html=None) == dataclasses.replace(
        whole, content_html=None
    )


def _extracted(text: str, target: str) -> MentionData | str:
    try:
        return extract(page(text), target)
    except SourceGone as gone:
        return f"gone: {gone}"


def _markup(html: str | None) -> list[Any]:
    """Elements with their attributes and text, as a reader's browser gets them."""
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(html or "").body
    found: list[Any] = []
    for node in body.traverse(include_text=True) if body is not None else []:
        if node.tag == "-text":
            text = " ".join((node.text_content or "").split())
            if text:
                found.append(text)
        else:
            found.append((node.tag, sorted(node.attributes.items())))
    return found


def test_plain_content_is_collapsed_and_put_back_whole() -> None:
    inner = "<p>One <a href='/a'>link</a> and <img src='/i.png'> an image.</p><p>Two</p>"
    html = h_entry(f"<h1 class='p-name'>Title</h1><div class='e-content'>{inner}</div>")
    collapsed = mf2.Collapsed(html, SOURCE)
    outlined = mf2.outline(html, collapsed)
    assert "link" not in outlined and len(collapsed.parts) == 1
    content = mf2.first(mf2.parse(html, SOURCE)["items"][0], "content")
    assert content["html"] == inner.replace("'", '"').replace('.png">', '.png">')
    assert content["value"] == "One link and https://alice.example/i.png an image. Two"


@pytest.mark.parametrize(
    "inside",
    [
        "<p>a</p><p>Reply to <a class='u-in-reply-to' href='/x'>x</a></p>",  # a property
        "<p>a</p><p><span class='h-card'>Bob</span></p>",  # a nested item
        "<p>a</p><p class='vcard'><span class='fn'>Bob</span></p>",  # a nested mf1 item
        "<p>a</p><p><a rel='me' href='/'>me</a></p>",  # rel=me, for authorship
        "<p><img src='/only.png'></p>",  # an only child: the root may take it as its photo
    ],
)
def test_content_that_means_something_to_mf2py_is_not_collapsed(inside: str) -> None:
    html = h_entry(f"<div class='e-content'>{inside}</div>")
    collapsed = mf2.Collapsed(html, SOURCE)
    mf2.outline(html, collapsed)
    assert collapsed.parts == {}


def test_a_reply_whose_root_is_body_keeps_its_content_name_date_and_type() -> None:
    data = run(ROOT_PLACEMENTS["root-on-body"])
    assert data.property == "in-reply-to" and data.post_type == "reply"
    assert data.content_text == "This is a reply, with markup."
    assert data.in_reply_to == [TARGET]
    assert data.published == "2024-03-05T10:12:00+01:00"
    assert data.author_name == "Alice Example"
    assert "Home" not in (data.content_text or "")  # the navigation is not the post


def test_a_root_on_html_or_head_keeps_what_is_inside_it() -> None:
    entry = mf2.parse(ROOT_PLACEMENTS["root-on-html"], SOURCE)["items"][0]
    assert mf2.first(entry, "in-reply-to") == TARGET
    assert mf2.first(entry, "content")["value"] == "This is a reply, with markup."
    entry = mf2.parse(ROOT_PLACEMENTS["root-on-head"], SOURCE)["items"][0]
    assert entry["properties"]["name"] == ["The head's title"]


def test_the_outline_drops_what_is_outside_every_microformat() -> None:
    html = (
        "<html><head><base href='https://cdn.example/'><script>x()</script></head><body>"
        "<nav><a href='/a'>menu</a></nav><main><article class='h-entry'><p class='e-content'>"
        "hi<script>y()</script></p></article><aside>sidebar</aside></main></body></html>"
    )
    outlined = mf2.outline(html)
    assert "<base href=" in outlined and "h-entry" in outlined and "<main>" in outlined
    for gone in ("menu", "sidebar", "x()", "y()"):
        assert gone not in outlined


COMMENTED = """<html><body><article class="h-entry">{author}
<div class="e-content"><p>Post with <a href="{target}">a link</a>.</p><p>More.</p></div>
<ol><li class="u-comment h-cite"><a class="p-author h-card" href="https://alice.example/">
<img class="u-photo" src="/alice.png" alt="">Alice Example</a>
<p class="p-content">A comment that says a lot.</p></li></ol></article></body></html>"""


def test_comments_are_left_empty_for_the_entry_but_not_inside_its_content() -> None:
    html = COMMENTED.format(author="", target=TARGET)
    assert "says a lot" not in mf2.outline(html, comments=False)
    assert "says a lot" in mf2.outline(html)
    inside = html.replace("<ol>", "<div class='e-summary'><ol>").replace("</ol>", "</ol></div>")
    assert "says a lot" in mf2.outline(inside, comments=False)  # a property's value holds it


def test_authorship_looks_through_every_card_of_the_page_comments_included() -> None:
    from pingsvc.extract.authorship import _cards

    html = COMMENTED.format(author="", target=TARGET)
    shallow = mf2.parse(html, SOURCE, comments=False)
    names = [card["properties"]["name"][0] for card in _cards(shallow)]
    assert names == [card["properties"]["name"][0] for card in _cards(mf2.parse(html, SOURCE))]
    assert "Alice Example" in names


def test_the_whole_page_is_parsed_only_when_asked_for_and_once() -> None:
    html = COMMENTED.format(author="", target=TARGET)
    calls: list[str] = []
    real = mf2py.parse

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["doc"])
        return real(**kwargs)

    shallow = mf2.parse(html, SOURCE, comments=False)
    assert isinstance(shallow, mf2.Shallow)
    import unittest.mock

    with unittest.mock.patch.object(mf2.mf2py, "parse", counting):
        assert mf2.whole(shallow) is mf2.whole(shallow)
    assert len(calls) == 1 and "says a lot" in calls[0]
    comment = shallow["items"][0]["properties"]["comment"][0]
    assert comment["type"] == ["h-cite"] and "author" not in comment["properties"]


def test_a_feed_of_many_entries_gets_each_its_own_content_back() -> None:
    posts = "".join(
        f"<article class='h-entry'><h2 class='p-name'>Title {i}</h2><div class='e-content'>"
        f"<p>Post number {i} body.</p><p>More {i}.</p></div></article>"
        for i in range(12)
    )
    items = mf2.parse(f"<div class='h-feed'>{posts}</div>", SOURCE)["items"][0]["children"]
    assert [mf2.first(item, "content")["html"] for item in items] == [
        f"<p>Post number {i} body.</p><p>More {i}.</p>" for i in range(12)
    ]


def test_a_comment_in_an_mf1_entry_content_is_kept_whole() -> None:
    html = (
        "<article class='hentry'><h1 class='entry-title'>T</h1><div class='entry-content'>"
        "<p>Text</p><div class='p-comment h-cite'><p>quoted comment with "
        "<a href='https://t.example/y'>link</a></p></div></div></article>"
    )
    assert "quoted comment" in mf2.outline(html, comments=False)


def test_a_summary_keeps_mf2pys_own_text() -> None:
    html = h_entry("<div class='e-summary'><ul><li>one</li><li>two</li></ul></div>")
    collapsed = mf2.Collapsed(html, SOURCE)
    mf2.outline(html, collapsed)
    assert collapsed.parts == {}


@pytest.mark.parametrize(("name", "text", "target"), _corpus_and_bench_pages()[::3])
def test_the_outline_of_a_cloned_tree_is_the_outline_of_the_text_and_leaves_it(
    name: str, text: str, target: str
) -> None:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    before = tree.html
    for comments in (True, False):
        assert mf2.outline(text, comments=comments, tree=tree.clone()) == mf2.outline(
            text, comments=comments
        )
    assert tree.html == before
    shallow = mf2.parse(text, SOURCE, comments=False, tree=tree)
    assert _comparable(shallow["items"], _base(text)) == _comparable(
        mf2.parse(text, SOURCE, comments=False)["items"], _base(text)
    )


# The regular expressions the class checks replaced (case-insensitive, as they were).
_MEANINGFUL_REGEX = re.compile(
    r"(?:^|\s)(?:(?:h|p|u|dt|e)-[a-z0-9]|value(?:-title)?(?:\s|$)|(?:"
    + "|".join(re.escape(name) for name in backcompat._CLASSIC_MAP)
    + r")(?:\s|$))",
    re.IGNORECASE,
)
_DATE_REGEX = re.compile(r"dt|publish|updat|bday|rev", re.IGNORECASE)
_CLASS_VALUES = [
    "", " ", "h-entry", "H-Entry", "post h-cite", "p-comment\th-cite", "u-", "u-1", "dt-",
    "dt-published", "DT-x", "e-content", "e-", "x-e-content", "h-", "value", "VALUE",
    "value-title", "value-titles", "valued", "vcard", "VCard", "hreview-aggregate",
    "hreview-aggregatex", "comment-author vcard", "commentmeta", "reply\nhentry",
    "comment-metadata published", "Updated", "date bday", "previous", "rev", "nodate",
    "wp-block-post-date", "p-_x", "p--x", "h-\u00e9t\u00e9", "p-name\u00a0u-url",
]  # fmt: skip


@pytest.mark.parametrize("value", _CLASS_VALUES)
def test_the_class_checks_answer_as_the_regular_expressions_they_replaced(value: str) -> None:
    """The meaningful-class and date-class checks are plain string tests now (the regexes'
    case-insensitive matching was most of `_empty_comments`' CPU); where the old one
    matched, so do they (for non-ASCII after a prefix they may also say yes: kept whole)."""
    assert mf2._has_date_class(value) == bool(_DATE_REGEX.search(value))
    if value.isascii():
        assert mf2._meaningful(value) == bool(_MEANINGFUL_REGEX.search(value))
    else:
        assert mf2._meaningful(value) or not _MEANINGFUL_REGEX.search(value)
