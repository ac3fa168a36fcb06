"""Microformats for extraction: mf2py, run at most once per page, and walks over its result.

mf2py does the parsing (mf2 and the mf1 backcompat used by WordPress themes). Its cost is
BeautifulSoup building a tree of every element, so it is given less to build:
- pages without any microformat root class skip it;
- the others are cut down to their outline first (lexbor, ~0.1 ms per 10 KB): the root
  elements with everything inside them, and their ancestors; menus, sidebars, footers and
  scripts outside every root go, which changes nothing mf2py finds but is most of a page
  (a 38 KB WordPress page: 13 ms -> 3 ms). rels are read elsewhere (pingsvc.excerpt);
- its mf1 backcompat is made linear (see `_classes_rule`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import mf2py
from mf2py import backcompat, mf2_classes
from selectolax.lexbor import LexborHTMLParser

Parsed = dict[str, Any]
Item = dict[str, Any]
EMPTY: Parsed = {"items": [], "rels": {}, "rel-urls": {}}

# The roots extraction uses: entries and cards, in mf2 and the mf1 names WordPress still emits.
_ROOTS = re.compile(r"\b(?:h-entry|h-feed|h-card|h-cite|hentry|hfeed|vcard)\b")
# Tailwind height utilities look like mf2 roots. mf2py's filter_roots drops some of them at the
# top level only (2.0.2): nested in an entry, an "h-full" div still becomes a child item that
# swallows the entry's e-content. So they are taken out of class attributes before parsing.
_CLASS_ATTRIBUTE = re.compile(r"""(\sclass\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_TAILWIND_ROOTS = re.compile(
    r"(?<![\w:/-])h-(?:auto|fit|full|max|min|px|screen|dvh|svh|lvh|lh)(?![\w:/-])"
)


def _classes_rule(old_classes: list[str], new_classes: list[str]) -> Callable[..., None]:
    """mf2py's `backcompat._make_classes_rule`, copying the element only when it is needed.

    Upstream (mf2py 2.0.2) deep-copies every descendant of an mf1 root once per rule, before
    checking whether the rule applies: a WordPress `hentry` of 17 KB took ~170 ms to parse.
    The copy is only kept when an e-* class is added, so it is made only then (from the same
    state, before the class change), which gives the same result in a few milliseconds.
    """

    def rule(child: Any, **_kwargs: Any) -> None:
        classes = child.get("class", [])[:]
        if not all(name in classes for name in old_classes):
            return
        classes.extend(name for name in new_classes if name not in classes)
        if child.original is None and mf2_classes.has_embedded_class(classes):
            child.original = copy.copy(child)
        child["class"] = classes

    return rule


UPSTREAM_CLASSES_RULE = backcompat._make_classes_rule  # kept for the equivalence test
backcompat._make_classes_rule = _classes_rule


def may_have_microformats(text: str) -> bool:
    """False when the page has no entry or card root class, so mf2py can't find anything."""
    return _ROOTS.search(text) is not None


def parse(text: str, url: str) -> Parsed:
    """The page's microformats (mf2 JSON); Tailwind's h-full, h-screen... are not roots."""
    if not may_have_microformats(text):
        return EMPTY
    if _TAILWIND_ROOTS.search(text):
        text = _CLASS_ATTRIBUTE.sub(_without_tailwind_roots, text)
    return mf2py.parse(doc=outline(text), url=url, html_parser="lxml", filter_roots=True)  # type: ignore[no-any-return]


def _without_tailwind_roots(match: re.Match[str]) -> str:
    return match.group(1) + _TAILWIND_ROOTS.sub("", match.group(2))


_NOT_ROOTS = set(mf2_classes.CONFLICTING_ROOTS_TAILWIND) | {"dvh", "svh", "lvh", "lh"}
_ROOT_CANDIDATES = ", ".join(['[class*="h-"]', *(f".{name}" for name in backcompat._CLASSIC_MAP)])
_INERT = "script, style, svg, template, iframe, object, embed"


def _is_root(node: Any) -> bool:
    classes = (node.attributes.get("class") or "").split()
    return bool(mf2_classes.root(classes, _NOT_ROOTS) or backcompat.root(classes))


def outline(text: str) -> str:
    """The page with only what mf2py can find something in: every microformat root with its
    content, the roots' ancestors (for nesting), and the <head> (for <base>). Scripts, styles
    and SVG go everywhere: no property is read from them and the sanitizer drops them."""
    tree = LexborHTMLParser(text)
    for node in tree.css(_INERT):
        node.decompose()
    roots = [node for node in tree.css(_ROOT_CANDIDATES) if _is_root(node)]
    inside = {node.mem_id for node in roots}
    above: set[int] = set()
    for node in roots:
        parent = node.parent
        while parent is not None and parent.mem_id not in above:
            above.add(parent.mem_id)
            parent = parent.parent
    body = tree.body
    stack = list(body.iter()) if body is not None else []
    while stack:  # iterative: pages may nest deeply
        node = stack.pop()
        if node.mem_id in inside:
            continue
        if node.mem_id in above:
            stack.extend(node.iter())
        else:
            node.decompose()
    return tree.html or ""


def has_type(item: Any, *types: str) -> bool:
    return isinstance(item, dict) and any(t in item.get("type", []) for t in types)


def walk(items: list[Any], parent: Item | None = None) -> Iterator[tuple[Item, Item | None]]:
    """Every item in document order with its parent item: top level, children, and entries
    given as p-comment (comments on a permalink page are posts too)."""
    for item in items:
        if not isinstance(item, dict):
            continue
        yield item, parent
        yield from walk(item.get("children", []), item)
        comments = item.get("properties", {}).get("comment", [])
        yield from walk([c for c in comments if has_type(c, "h-entry")], item)


def first(item: Item, prop: str) -> Any:
    values = item.get("properties", {}).get(prop) or [None]
    return values[0]


def text_of(value: Any) -> str | None:
    """The plain text of a property value: a string, or an embedded item's/e-*'s value."""
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def urls_of(value: Any) -> list[str]:
    """The URLs a property value names: a string, or an embedded item's url and value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        urls = [u for u in value.get("properties", {}).get("url", []) if isinstance(u, str)]
        if isinstance(value.get("value"), str):
            urls.append(value["value"])
        return urls
    return []
