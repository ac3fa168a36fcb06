"""Cheap checks that refuse hostile page bodies before any parser reads them.

HTML parsers are not linear in nesting depth: lexbor's time on a page of nested `<div>`s
grows far faster than the page (bench/README.md has the figures), and mf2py and json recurse
until RecursionError. These scans are linear, never build a tree, and stop at the first
problem.
"""

from __future__ import annotations

import re
from collections import Counter

from pingsvc.errors import FetchError, HostilePage
from pingsvc.fetch.page import Page, choose_codec, find_bom


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements that never hold children, and elements whose end tag the parser implies (so an
# unclosed <p> or <li> does not nest the next one): neither changes the depth estimate.
VOID = _names(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param "
    "source track wbr"
)
IMPLIED_END = _names(
    "html head body p li dt dd option optgroup tr td th tbody thead tfoot colgroup "
    "caption rb rt rtc rp"
)
_NOT_NESTING = VOID | IMPLIED_END
FOREIGN = frozenset({"svg", "math"})  # inside these, <x/> really is self-closing
RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"}
)
# A raw-text element's end tag, its name in any ASCII case (as the HTML tokenizer reads it).
# Searched in the text itself: positions in text.lower() drift from the text's wherever a
# character lower-cases to two (U+0130), and a scan that jumped by them skipped the tags that
# follow (a script of U+0130s hid any nesting after it).
_RAW_TEXT_END = {name: re.compile(f"</{name}", re.IGNORECASE | re.ASCII) for name in RAW_TEXT}
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# WHATWG MIME sniffing's "binary data bytes": no text document starts with these.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
SNIFF_CHARS = 1445
_TAG = re.compile(r"<(!--|/?[a-zA-Z][^\t\n\f\r />]*)")


def html_depth(text: str, limit: int) -> int:
    """How deep `text`'s elements nest, as an HTML parser would build them (an estimate that
    errs high); stops counting once past `limit`. (One pass, tag by tag: a plain dict and
    set lookups instead of Counter's, bench/README.md.)"""
    stack: list[str] = []
    open_names: dict[str, int] = {}
    foreign = 0
    deepest = 0
    pos = 0
    search, find = _TAG.search, text.find
    while True:
        match = search(text, pos)
        if match is None:
            return deepest
        token = match.group(1).lower()
        if token == "!--":
            end = find("-->", match.end())
            if end < 0:
                return deepest
            pos = end + 3
            continue
        close = find(">", match.end())
        if close < 0:
            return deepest
        pos = close + 1
        if token[0] == "/":
            name = token[1:]
            if open_names.get(name):  # an end tag closes its element and everything inside
                while stack:
                    popped = stack.pop()
                    open_names[popped] -= 1
                    if popped in FOREIGN:
                        foreign -= 1
                    if popped == name:
                        break
            continue
        name = token
        if name in _NOT_NESTING:
            continue
        if foreign and text[close - 1] == "/":
            continue
        if name in RAW_TEXT:
            closing = _RAW_TEXT_END[name].search(text, pos)
            if closing is None:
                return max(deepest, len(stack) + 1)
            pos = closing.start()
            continue
        stack.append(name)
        open_names[name] = open_names.get(name, 0) + 1
        if name in FOREIGN:
            foreign += 1
        if len(stack) > deepest:
            deepest = len(stack)
            if deepest > limit:
                return deepest


def json_depth(text: str, limit: int) -> int:
    """How deep `text`'s arrays and objects nest; stops counting once past `limit`."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
        elif token in "]}":
            depth = max(0, depth - 1)
    return deepest


def replaced_characters(body: bytes, codec: str) -> int:
    """How many characters of `body` are not valid in `codec` (each becomes U+FFFD)."""
    return len(body.decode(codec, errors="replace")) - len(body.decode(codec, errors="ignore"))


def check_text(text: str, media_type: str, *, replaced: int = 0, codec: str = "") -> None:
    """Refuse binary data served as text, and text mostly undecodable in its encoding.

    A few bad bytes are tolerated (browsers show them as U+FFFD and so do we); a page where
    more than 2% of the characters are invalid is not a page anyone wrote in that encoding.
    """
    if _BINARY.search(text, 0, SNIFF_CHARS):
        raise FetchError(f"the source is binary data served as {media_type}")
    if replaced > 16 and replaced > len(text) * 0.02:
        raise FetchError(
            f"the source is not valid {codec or 'text'}: {replaced} of its {len(text)} "
            "characters could not be decoded"
        )


# Start tags' names: a page with no more start tags of elements that may hold others (not
# void, no implied end) than the depth limit can't nest past it (each level needs one),
# whatever its comments and scripts hold. Counted by name, in C.
# (A name cut short by another "<" counts whatever it is, as the parser may read it so. A
# name ends only at the HTML whitespace, "/" or ">": lexbor reads "br" + U+00A0 + "x" as one name.)
_START_NAME = re.compile(r"<([a-zA-Z][^\t\n\f\r /><]*)(?=(<?))")


def nesting_starts(text: str) -> int:
    """How many start tags in `text` may open an element that holds others (an upper bound:
    tags in comments and scripts count too)."""
    counts = Counter(_START_NAME.findall(text))
    return sum(n for (name, cut), n in counts.items() if cut or name.lower() not in _NOT_NESTING)


# An element that holds only text and is closed by its own end tag before any other tag
# (<a href="/me">Sam</a>, <time>...</time>): while html_depth has it open, no other tag comes,
# so however many there are, together they add at most one level. Names in ASCII, ended as
# _TAG ends them, so both scans read the same name; no "<" inside the start tag, so each try
# stops at the next "<" and the whole count stays linear.
_LEAF = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)(?=[\t\n\f\r />])[^<>]*>[^<]*</\1(?=[\t\n\f\r />])",
    re.IGNORECASE | re.ASCII,
)


def leaf_elements(text: str) -> int:
    """How many of the start tags nesting_starts counts open an element that holds only
    text, closed at once by its own end tag."""
    counts = Counter(name.lower() for name in _LEAF.findall(text))
    return sum(n for name, n in counts.items() if name not in _NOT_NESTING)


def check_structure(text: str, media_type: str, max_depth: int, *, is_json: bool) -> None:
    """Refuse documents nested deeper than `max_depth` before a parser tries them."""
    if not is_json:
        starts = nesting_starts(text)
        if starts <= max_depth:
            return  # counted in C: most pages have fewer such tags than the limit
        # Comment threads have more, many of them text-only elements (names, dates, reply
        # links): html_depth's depth is at most the others plus one, so it could not refuse.
        if starts - leaf_elements(text) < max_depth:
            return
    depth = json_depth(text, max_depth) if is_json else html_depth(text, max_depth)
    if depth > max_depth:
        raise HostilePage(
            f"the source ({media_type}) nests more than {max_depth} levels deep; "
            "pages that deep are refused before parsing"
        )


def check_page(page: Page, max_depth: int) -> None:
    """Refuse bodies no parser should be handed: binary data, undecodable text, and documents
    nested deeper than `max_depth`. Other media types are refused later by the link check.
    Linear, but a megabyte of tags still costs noticeable CPU: the pipeline runs it in its
    sandbox."""
    if not (page.is_html or page.is_json or page.media_type.startswith("text/")):
        return
    codec = choose_codec(page.body, page.charset, html=page.is_html)
    bom = find_bom(page.body)
    raw = page.body[len(bom[0]) :] if bom else page.body
    replaced = replaced_characters(raw, codec) if codec not in ("cp1252",) else 0
    check_text(page.text, page.media_type, replaced=replaced, codec=codec)
    if page.is_html or page.is_json:
        check_structure(page.text, page.media_type, max_depth, is_json=page.is_json)
