"""fetch.hostile's pre-check: the count of nesting start tags, by name, is the count of the
regex it replaced (a start tag not of a void or implied-end element), so no page that
could nest past the limit skips the depth scan (pure)."""

from __future__ import annotations

import random
import re

import pytest

from pingsvc.errors import HostilePage
from pingsvc.fetch.hostile import IMPLIED_END, VOID, check_structure, nesting_starts

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
