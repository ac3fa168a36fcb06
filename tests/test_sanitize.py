"""pingsvc.sanitize.text_of: the reader's text of sanitized HTML is what it was when every
text node had its white space collapsed by a regex of its own (the reference below)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from pingsvc.sanitize import clean_html, text_of

PAGES = Path(__file__).parent / "pages"

_PARAGRAPHS = {
    "p", "blockquote", "pre", "ul", "ol", "dl", "table", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr",
}  # fmt: skip
_LINES = {"br", "li", "dt", "dd", "tr", "figcaption", "caption"}
_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)+")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_SPACE = re.compile(r"\s+")


def reference_text_of(html: str) -> str:
    """text_of as it was before 3 December 2026: a regex pass over each text node."""
    if not html:
        return ""
    parts: list[str] = []
    root = LexborHTMLParser(html).body
    stack: list[tuple[Any, bool, bool]] = [(root, False, False)] if root is not None else []
    while stack:
        node, closing, pre = stack.pop()
        tag = node.tag
        if closing or tag in _LINES:
            parts.append("\n\n" if tag in _PARAGRAPHS else "\n")
        elif tag == "-text":
            parts.append((_INLINE_SPACE if pre else _SPACE).sub(" ", node.text_content or ""))
        elif tag == "img" and node.attributes.get("alt"):
            parts.append(f" {node.attributes['alt']} ")
        if closing or tag == "-text":
            continue
        if tag in _PARAGRAPHS:
            parts.append("\n\n")
            stack.append((node, True, pre))
        inner = pre or tag == "pre"
        children = reversed(list(node.iter(include_text=True)))
        stack.extend((child, False, inner) for child in children)
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_SPACES = [
    " ", "  ", "\n", "\n\n", "\r\n", "\t", "\x0b", "\x0c", "\xa0", "\u2028", "\u3000", " \n ",
]  # fmt: skip
_WORDS = ["word", "Émile", "a", "«quoted»", "x-y", "1,000", ""]
_TAGS = ["p", "pre", "li", "ul", "blockquote", "em", "a", "span", "code", "h2", "figure"]


def _soup(rng: random.Random, depth: int = 0) -> str:
    """Random HTML of paragraphs, lists, <pre>, inline elements, <br>, images with alt text,
    and text with every kind of white space between its words."""
    out = []
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        if roll < 0.4 or depth > 4:
            out.append("".join(rng.choice(_WORDS + _SPACES) for _ in range(rng.randint(1, 8))))
        elif roll < 0.5:
            out.append("<br>")
        elif roll < 0.55:
            out.append(f'<img src="/x.png" alt="{rng.choice(_WORDS)}{rng.choice(_SPACES)}">')
        else:
            tag = rng.choice(_TAGS)
            out.append(f"<{tag}>{_soup(rng, depth + 1)}</{tag}>")
    return "".join(out)


def test_text_of_matches_the_per_node_regex_on_random_html() -> None:
    rng = random.Random(20261203)
    for _ in range(3000):
        html = _soup(rng)
        assert text_of(html) == reference_text_of(html), html


@pytest.mark.parametrize("page", sorted(PAGES.glob("*.html")), ids=lambda p: p.name)
def test_text_of_matches_the_per_node_regex_on_the_corpus(page: Path) -> None:
    raw = page.read_text(encoding="utf-8", errors="replace")
    for html in (raw, clean_html(raw, "https://example.com/")):
        assert text_of(html) == reference_text_of(html)
