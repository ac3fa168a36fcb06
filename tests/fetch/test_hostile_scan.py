"""fetch.hostile's pre-checks: the count of nesting start tags, by name, is the count of the
regex it replaced (a start tag not of a void or implied-end element), and that count less
the text-only elements, plus one, is never below the depth scan's answer, so no page that
could nest past the limit skips the depth scan; and the depth scan answers as the one it
replaced (pure)."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from pingsvc.errors import HostilePage
from pingsvc.fetch.hostile import (
    _TAG,
    FOREIGN,
    IMPLIED_END,
    RAW_TEXT,
    VOID,
    check_structure,
    html_depth,
    leaf_elements,
    nesting_starts,
)

# The regex the count replaced: "<" and a letter, unless a void or implied-end element's
# name follows, ended by HTML's white space, "/", ">" or the end of the text.
REFERENCE = re.compile(
    r"<(?!(?i:"
    + "|".join(sorted(VOID | IMPLIED_END, key=len, reverse=True))
    + r")(?:[\t\n\f\r />]|$))"
    r"[a-zA-Z]"
)
PIECES = [
    "<div>", "</div>", "<p>", "<li>", "<B>", "<svg>", "<x/>", "<br/>", "<!--", "-->",
    "<script>", "</SCRIPT>", "<a href='>'>", "<a", ">", "text", "<", "<p\n", "<br", "<1>",
    "<IMG src=x>", "<é>", "<a\u00a0b>", "<brx>", "<tr", "<td>",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_the_count_by_name_is_the_regex_count(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 80)))
        assert nesting_starts(text) == len(REFERENCE.findall(text)), text


def test_a_name_cut_short_by_another_tag_still_counts() -> None:
    assert nesting_starts("<br<div>") == len(REFERENCE.findall("<br<div>")) == 2
    assert nesting_starts("<br><p><li><img>") == 0


def test_a_name_with_a_non_html_space_is_one_name_that_nests() -> None:
    # lexbor reads "br" + U+00A0 + "x" as one (nesting) element, not a void <br>.
    assert nesting_starts("<br\u00a0x>" * 5) == 5
    with pytest.raises(HostilePage):
        check_structure("<br\u00a0x>" * 600, "text/html", 512, is_json=False)


def test_deep_pages_past_the_pre_check_are_still_refused() -> None:
    with pytest.raises(HostilePage):
        check_structure("<div>" * 600, "text/html", 512, is_json=False)
    check_structure("<div></div>" * 600, "text/html", 512, is_json=False)


def reference_depth(text: str, limit: int) -> int:
    """html_depth as it was before its lookups were made cheaper (2 December 2026), for text
    whose characters each lower-case to one (see the U+0130 test below for the others)."""
    lower = text.lower()
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    foreign = 0
    deepest = 0
    pos = 0
    while True:
        match = _TAG.search(text, pos)
        if match is None:
            return deepest
        token = match.group(1).lower()
        if token == "!--":
            end = text.find("-->", match.end())
            if end < 0:
                return deepest
            pos = end + 3
            continue
        close = text.find(">", match.end())
        if close < 0:
            return deepest
        pos = close + 1
        if token.startswith("/"):
            name = token[1:]
            if open_names[name]:
                while stack:
                    popped = stack.pop()
                    open_names[popped] -= 1
                    if popped in FOREIGN:
                        foreign -= 1
                    if popped == name:
                        break
            continue
        name = token
        if name in VOID or name in IMPLIED_END:
            continue
        if foreign and text[close - 1] == "/":
            continue
        if name in RAW_TEXT:
            end = lower.find(f"</{name}", pos)
            if end < 0:
                return max(deepest, len(stack) + 1)
            pos = end
            continue
        stack.append(name)
        open_names[name] += 1
        foreign += name in FOREIGN
        deepest = max(deepest, len(stack))
        if deepest > limit:
            return deepest


DEPTH_PIECES = [
    *PIECES, "<div>", "<div>", "<span>", "</span>", "</DIV>", "<math>", "</math>", "</svg>",
    "<svg/>", "<style>", "</style>", "<textarea>", "</textarea >", "<div/>", "</x>",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_the_depth_scan_answers_as_the_one_it_replaced(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        text = "".join(rng.choice(DEPTH_PIECES) for _ in range(rng.randint(0, 120)))
        for limit in (3, 256):
            assert html_depth(text, limit) == reference_depth(text, limit), text


def test_the_depth_scan_answers_as_the_one_it_replaced_on_comment_threads() -> None:
    from bench.pages import heavy_page, target

    for index in range(5):
        text = heavy_page(index, target(index))
        assert html_depth(text, 512) == reference_depth(text, 512) > 5


LEAF_PIECES = [
    *DEPTH_PIECES, "<span>x</span>", "<SPAN>x</span >", "<a title='>'>x</a>", "<a<b>x</a>",
    "<!-- <i>x</i> -->", "<script><b>x</b></script>", "<svg><text>x</text></svg>",
    "<span/>x</span>", "<\u00e9>x</\u00e9>", "<p>x</p>", "<br>x</br>", "<span\u00a0x>y</span>",
    "<textarea>a</textarea>", "<i>", "</i>", "<a href=x>", "</a>", "<b>x<b>y</b></b>",
    "<time>1</time>", "<li><a>x</a>", "<math><mi>x</mi>", "<x-y>z</X-Y>", "<a>x</a<b>",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(30))
def test_the_depth_is_never_above_the_starts_less_text_only_elements_plus_one(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        text = "".join(rng.choice(LEAF_PIECES) for _ in range(rng.randint(0, 150)))
        bound = nesting_starts(text) - leaf_elements(text) + 1
        assert html_depth(text, 10**6) <= bound, text


def test_a_comment_thread_past_the_start_count_needs_no_depth_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.pages import heavy_page, target
    from pingsvc.fetch import hostile

    text = heavy_page(0, target(0))
    assert nesting_starts(text) > 512
    monkeypatch.setattr(hostile, "html_depth", lambda *_: pytest.fail("scanned"))
    check_structure(text, "text/html", 512, is_json=False)


def test_text_only_elements_do_not_hide_a_deep_page() -> None:
    deep = "<div>" * 600 + "<a href='/'>x</a>" * 600
    assert leaf_elements(deep) == 600
    with pytest.raises(HostilePage):
        check_structure(deep, "text/html", 512, is_json=False)
    with pytest.raises(HostilePage):  # one level past the limit: the leaf inside the last div
        check_structure("<div>" * 512 + "<a>x</a>" * 600, "text/html", 512, is_json=False)
    check_structure("<div>" * 511 + "<a>x</a>" * 600, "text/html", 512, is_json=False)
    with pytest.raises(HostilePage):  # leaves among the levels: each still opens one
        check_structure("<div><a>x</a>" * 600, "text/html", 512, is_json=False)
    with pytest.raises(HostilePage):  # not text only: <b> holds another <b>
        check_structure("<b>x" * 300 + "<b>y</b>" + "</b>" * 300 + "<div>" * 513, "text/html",
                        512, is_json=False)  # fmt: skip


@pytest.mark.parametrize("wide", ["\u0130", "\u0130\u0130x", "K\u212a"])
def test_characters_that_lower_case_to_two_do_not_hide_what_follows_raw_text(wide: str) -> None:
    """U+0130 lower-cases to two characters: the scan once looked for a script's end in
    the lower-cased text at the text's positions, landed past it and skipped the tags that
    followed, so a page of them passed the depth check whatever it nested."""
    deep = "<script>" + wide * 3000 + "</SCRIPT>" + "<div>" * 600
    assert html_depth(deep, 512) == 513
    with pytest.raises(HostilePage):
        check_structure(deep, "text/html", 512, is_json=False)
    shallow = "<title>" + wide * 50 + "</title ><div><b>x</b></div>"
    assert html_depth(shallow, 512) == 2
