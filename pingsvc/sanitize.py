"""The one place where HTML from a source page is made safe to show (nh3 allow-list)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import nh3
from selectolax.lexbor import LexborHTMLParser

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "dd", "dfn", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    "var",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Dropped with everything inside them: active content, and controls that only make sense on
# the source page (a form in a comment is phishing, not formatting).
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template",
    "svg", "math", "noscript", "noembed", "noframes", "textarea", "select", "button", "form",
    "title", "head",
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener noreferrer"
_IMAGE_SCHEMES = ("http://", "https://")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    """Images only from http(s); sizes only as plain numbers. Relative URLs pass here and are
    made absolute by url_relative; absolute ones are checked against URL_SCHEMES by nh3."""
    if tag == "img" and attribute == "src":
        head = value.strip().split("/", 1)[0]
        if ":" in head and not value.strip().lower().startswith(_IMAGE_SCHEMES):
            return None
    if attribute in {"width", "height", "colspan", "rowspan"}:
        return value if value.strip().isdigit() and len(value.strip()) <= 4 else None
    return value


def _absolute(base_url: str, url: str) -> str | None:
    """A relative URL made absolute; dropped unless that gives an http(s) URL."""
    absolute = urljoin(base_url, url)
    return absolute if absolute.lower().startswith(_IMAGE_SCHEMES) else None


def clean_html(html: str, base_url: str) -> str:
    """Sanitize `html` for display: formatting tags only, http(s)/mailto links, absolute URLs,
    no style, no event handlers, no frames or scripts; links get rel="nofollow ugc"."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        url_relative=lambda url: _absolute(base_url, url),
        strip_comments=True,
    ).strip()


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, else None: nothing else may reach href or src."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    return None if any(c.isspace() or c in '"<>' or ord(c) < 32 for c in url) else url


_PARAGRAPHS = {
    "p", "blockquote", "pre", "ul", "ol", "dl", "table", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr",
}  # fmt: skip
_LINES = {"br", "li", "dt", "dd", "tr", "figcaption", "caption"}
_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)+")
_INLINE_SPACE = re.compile(r"[^\S\n]+")


def text_of(html: str) -> str:
    """The text a reader sees in sanitized `html`: paragraphs apart by a blank line, list items
    and <br> on lines of their own, images as their alt text."""
    if not html:
        return ""
    parts: list[str] = []
    root = LexborHTMLParser(html).body
    stack: list[tuple[Any, bool, bool]] = [(root, False, False)] if root is not None else []
    while stack:  # depth-first, iterative: sanitized HTML may still be nested very deep
        node, closing, pre = stack.pop()
        tag = node.tag
        if closing or tag in _LINES:
            parts.append("\n\n" if tag in _PARAGRAPHS else "\n")
        elif tag == "-text":  # source line breaks are spaces, except in <pre>
            # Runs of other white space are collapsed once, at the end: one regex pass
            # instead of one per text node (bench/README.md).
            text = node.text_content or ""
            parts.append(text if pre else text.replace("\n", " "))
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
    # _INLINE_SPACE never spans a line break: one pass over the whole text, then each line.
    lines = (line.strip() for line in _INLINE_SPACE.sub(" ", "".join(parts)).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
