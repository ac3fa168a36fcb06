"""Microformats for extraction: mf2py, run at most once per page, and walks over its result.

mf2py does the parsing (mf2 and the mf1 backcompat used by WordPress themes). Its cost is
BeautifulSoup building a tree of every element, so it is given less to build (bench/README.md
has what each step saved):
- pages without any microformat root class skip it;
- the others are cut down to their outline first (by lexbor, far cheaper than mf2py): the root
  elements with everything inside them, and their ancestors; menus, sidebars, footers and
  scripts outside every root go, which changes nothing mf2py finds but is most of a page.
  rels are read elsewhere (extract.excerpt);
- the inside of an e-* property that holds no microformat class (an article's paragraphs,
  usually most of what is left) is kept aside: mf2py sees a placeholder, and the html and
  text are put back into its result (`Collapsed`);
- its mf1 backcompat is made linear (see `_classes_rule`).
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2py
from mf2py import backcompat, mf2_classes
from selectolax.lexbor import LexborHTMLParser

Parsed = dict[str, Any]
Item = dict[str, Any]
EMPTY: Parsed = {"items": [], "rels": {}, "rel-urls": {}}

# The roots extraction uses: entries and cards, in mf2 and the mf1 names WordPress still emits.
# Both page-wide searches start with a literal, so re scans for it at C speed (a leading \b or
# lookbehind would make it try every position, costly on a long page); what stands before a
# match is checked in Python (`_starts_word`).
_ROOTS = re.compile(r"(?:h-entry|h-feed|h-card|h-cite|hentry|hfeed|vcard)\b")
# Tailwind height utilities look like mf2 roots. mf2py's filter_roots drops some of them at the
# top level only (2.0.2): nested in an entry, an "h-full" div still becomes a child item that
# swallows the entry's e-content. So they are taken out of class attributes before parsing.
_CLASS_ATTRIBUTE = re.compile(r"""(\sclass\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_TAILWIND_HEIGHT = r"h-(?:auto|fit|full|max|min|px|screen|dvh|svh|lvh|lh)(?![\w:/-])"
_TAILWIND_ROOTS = re.compile(r"(?<![\w:/-])" + _TAILWIND_HEIGHT)  # in a class attribute
_TAILWIND_SCAN = re.compile(_TAILWIND_HEIGHT)  # page-wide: what precedes is checked apart


def _starts_word(text: str, pattern: re.Pattern[str], also: str = "") -> bool:
    """Whether `pattern` matches where no word character (nor one of `also`) stands before."""
    for match in pattern.finditer(text):
        start = match.start()
        before = text[start - 1] if start else " "
        if not (before.isalnum() or before == "_" or before in also):
            return True
    return False


def _classes_rule(old_classes: list[str], new_classes: list[str]) -> Callable[..., None]:
    """mf2py's `backcompat._make_classes_rule`, copying the element only when it is needed.

    Upstream (mf2py 2.0.2) deep-copies every descendant of an mf1 root once per rule, before
    checking whether the rule applies, which makes a WordPress `hentry` slow to parse. The copy
    is only kept when an e-* class is added, so it is made only then (from the same state,
    before the class change), which gives the same result far faster.
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
    return _starts_word(text, _ROOTS)


def parse(
    text: str,
    url: str,
    *,
    collapse: bool = True,
    comments: bool = True,
    tree: LexborHTMLParser | None = None,
) -> Parsed:
    """The page's microformats (mf2 JSON); Tailwind's h-full, h-screen... are not roots.
    collapse=False gives mf2py every element of the outline (for the equivalence tests).

    comments=False leaves comment h-cites empty (see `_empty_comments`), leaves out the
    cards outside every entry, and returns a Shallow result: what extraction reads of an
    entry is the same, and `whole()` parses the page in full for the lookups that need
    every h-card on it (authorship's fallbacks)."""
    if not may_have_microformats(text):
        return EMPTY
    if _starts_word(text, _TAILWIND_SCAN, ":/-"):
        text = _CLASS_ATTRIBUTE.sub(_without_tailwind_roots, text)
        tree = None  # a parse of the page as it was
    collapsed = Collapsed(text, url) if collapse else None
    doc = outline(text, collapsed, comments=comments, tree=tree.clone() if tree else None)
    parsed = mf2py.parse(doc=doc, url=url, html_parser="lxml", filter_roots=True)
    parsed = collapsed.restore(parsed) if collapsed else parsed
    if comments:
        return parsed  # type: ignore[no-any-return]
    return Shallow(parsed, lambda: parse(text, url, collapse=collapse))


class Shallow(dict[str, Any]):
    """mf2py's result for a page whose comment h-cites were left empty, with the whole
    page's result on demand (parsed once, when first asked for)."""

    def __init__(self, parsed: Parsed, parse_whole: Callable[[], Parsed]) -> None:
        super().__init__(parsed)
        self._parse_whole = parse_whole
        self._whole: Parsed | None = None

    def whole(self) -> Parsed:
        if self._whole is None:
            self._whole = self._parse_whole()
        return self._whole


def whole(parsed: Parsed) -> Parsed:
    """Every item of the page, comments' authors included: for looking through all h-cards."""
    return parsed.whole() if isinstance(parsed, Shallow) else parsed


def _without_tailwind_roots(match: re.Match[str]) -> str:
    return match.group(1) + _TAILWIND_ROOTS.sub("", match.group(2))


_NOT_ROOTS = set(mf2_classes.CONFLICTING_ROOTS_TAILWIND) | {"dvh", "svh", "lvh", "lh"}
_ROOT_CANDIDATES = ", ".join(['[class*="h-"]', *(f".{name}" for name in backcompat._CLASSIC_MAP)])
_INERT = "script, style, svg, template, iframe, object, embed"


# What a root class needs (an "h-" token or an mf1 root's name): most elements that match
# the CSS candidates (a `depth-1` has "h-" in it) are told apart by this alone.
_MAYBE_ROOT = re.compile(
    r"(?:^|\s)(?:h-|(?:" + "|".join(map(re.escape, backcompat._CLASSIC_MAP)) + r")(?:\s|$))"
)


def _is_root(node: Any) -> bool:
    value = node.attributes.get("class") or ""
    if not _MAYBE_ROOT.search(value):
        return False
    classes = value.split()
    return bool(mf2_classes.root(classes, _NOT_ROOTS) or backcompat.root(classes))


def outline(
    text: str,
    collapsed: Collapsed | None = None,
    *,
    comments: bool = True,
    tree: LexborHTMLParser | None = None,
) -> str:
    """The page with only what mf2py can find something in: every microformat root with its
    content, the roots' ancestors (for nesting), and <base> and rel=me in <head>. Scripts, styles
    and SVG go everywhere: no property is read from them and the sanitizer drops them.
    With `collapsed`, the plain insides of e-* properties are moved there (see Collapsed);
    with comments=False, comment h-cites are left empty (see `_empty_comments`) and the
    top-level roots that hold no entry go (see `_drop_cards_outside_entries`).
    `tree` is a parse of `text` to work on (it is changed), else the text is parsed."""
    tree = LexborHTMLParser(text) if tree is None else tree
    for node in tree.css(_INERT):
        node.decompose()
    roots = [node for node in tree.css(_ROOT_CANDIDATES) if _is_root(node)]
    if not comments:
        roots = _drop_cards_outside_entries(roots)
    inside = {node.mem_id for node in roots}
    above: set[int] = set()
    for node in roots:
        parent = node.parent
        while parent is not None and parent.mem_id not in above:
            above.add(parent.mem_id)
            parent = parent.parent
    # One walk from <html> down: a root is kept whole wherever it is, <html>, <head> and
    # <body> included (a body.h-entry is a common theme's whole post); <head> and <body>
    # themselves always stay, and in <head> so do <base> and rel=me.
    top = tree.root
    stack = [top] if top is not None else []
    while stack:  # iterative: pages may nest deeply
        node = stack.pop()
        if node.mem_id in inside:
            continue
        if node.mem_id in above or node.tag in ("html", "head", "body"):
            stack.extend(node.iter())
        elif not _kept_in_head(node):
            node.decompose()
    if collapsed is not None:
        collapsed.take(tree, roots)
    if not comments:
        _empty_comments(tree)
    return tree.html or ""


_COMMENT_PROPERTY = {"u-comment", "p-comment"}
_PROPERTY_PREFIXES = ("p-", "u-", "dt-", "e-")
_ENTRY_CLASSES = {"h-entry", "hentry"}
# Class names that may make a date property (mf2 dt-*, and mf1's published, updated,
# dtstart, bday...): mf2py carries a date from one to a later time-only one, and a nested
# item in between resets it, so comments are never dropped across one of these.
_DATE_WORDS = ("dt", "publish", "updat", "bday", "rev")


def _drop_cards_outside_entries(roots: list[Any]) -> list[Any]:
    """The roots less the top-level ones that hold no entry (site-wide h-cards, an mf1
    theme's comment vcards after the post): extraction reads entries, and every lookup
    through all the page's cards goes to `whole()`. A nested root stays with its parent."""
    ids = {node.mem_id for node in roots}
    dropped: set[int] = set()
    kept = []
    for node in roots:
        parent = node.parent
        while parent is not None and parent.mem_id not in ids:
            parent = parent.parent
        if parent is not None:  # nested: kept or dropped with its top-level root
            if parent.mem_id not in dropped:
                kept.append(node)
            else:
                dropped.add(node.mem_id)
            continue
        classes = set((node.attributes.get("class") or "").split())
        if classes & _ENTRY_CLASSES or node.css_first(".h-entry, .hentry") is not None:
            kept.append(node)
        else:
            dropped.add(node.mem_id)
    return kept


def _empty_comments(tree: LexborHTMLParser) -> None:
    """Empty the comments that are h-cites (not h-entries, which are posts), keeping the
    element and its classes: the entry still has a comment property and a nested item, so
    mf2py implies nothing for it that it would not imply anyway. Most of a commented page's
    items are its comments and their authors' cards; extraction reads none of them, except
    through the all-cards lookups that use `whole()`. A comment inside another property
    (an e-content's HTML, a p-*'s text) is left whole, as that property's value holds it,
    and so is one under an mf1 root (its properties are plain classes such as
    entry-content) and one that is also another property (`u-url h-cite`).

    Of a run of such comments (document order, one root, no element with a date class
    between them) only the last is kept, emptied; the others go, with the wrappers they
    leave empty (a WordPress thread's <li> and <ol class="children">). mf2py finds the same
    for the root: one nested item stops its implied name, photo and url as well as many,
    the comments are in no property of the root but its comment list (whose length
    extraction does not read), and the wrappers hold nothing it reads (nor, then, the
    rest of the root outside its properties: `_prune_unread`). Dates: mf2py
    carries the last date it read to a later time-only date, and a nested item's own
    dates are read after it resets that; so the last comment before an element with a date
    class is left whole."""
    found = []
    root_of: dict[int, int] = {}
    known: dict[int, tuple[bool, int | None]] = {}
    # Only elements with both names in their class (lexbor tells, in C: most elements with
    # "comment" in theirs are a theme's comment-body, comment-meta, ... wrappers).
    for node in tree.css('[class*="comment"][class*="h-cite"]'):
        classes = set((node.attributes.get("class") or "").split())
        if not classes & _COMMENT_PROPERTY or "h-cite" not in classes or "h-entry" in classes:
            continue
        if any(n not in _COMMENT_PROPERTY and n.startswith(_PROPERTY_PREFIXES) for n in classes):
            continue  # also another property (a u-url h-cite is its root's url): left whole
        root = _comment_root(node, known)
        if root is None:
            continue
        found.append(node)
        root_of[node.mem_id] = root
    if not found:
        return
    # A comment inside another one goes with it (no tree changes under lexbor's feet until
    # the search is done).
    inner: set[int] = set()
    for node in found:
        if node.mem_id not in inner:
            inner.update(n.mem_id for n in node.traverse() if n.mem_id != node.mem_id)
    emptied, dropped = [], []
    run: list[Any] = []
    run_root = -1
    top = tree.root
    for node in top.traverse() if top is not None else []:
        mem_id = node.mem_id
        if mem_id in inner:
            continue
        root = root_of.get(mem_id)
        if root is not None:
            if run and root != run_root:
                dropped += run[:-1]
                emptied.append(run[-1])
                run = []
            run.append(node)
            run_root = root
        elif run and _has_date_class(node.attributes.get("class") or ""):
            dropped += run[:-1]  # the last is left whole: its dates carry on
            run = []
    if run:
        dropped += run[:-1]
        emptied.append(run[-1])
    kept_roots = {root_of[node.mem_id]: node for node in emptied}
    for node in emptied:
        for child in list(node.iter(include_text=True)):
            child.decompose()
    roots = set(root_of.values())
    for node in dropped:
        parent = node.parent
        node.decompose()
        while (
            parent is not None
            and parent.mem_id not in roots
            and parent.tag in ("li", "ol", "ul", "div", "section")
            and not _meaningful(parent.attributes.get("class") or "")
            and _only_space(parent)
        ):
            above = parent.parent
            parent.decompose()
            parent = above
    for node in kept_roots.values():
        root = node.parent
        while root is not None and root.mem_id != root_of[node.mem_id]:
            root = root.parent
        if root is not None:
            _prune_unread(root)


def _prune_unread(root: Any) -> None:
    """Take out of an mf2 root that keeps a nested item (an emptied comment) what mf2py reads
    nothing in: elements outside every property with no class it knows (a property, a root,
    the value class) nor rel=me inside them (a theme's comment form, its thread's title).
    The nested item stops the root's implied name, photo and url, the only readers of the
    rest; a root that is itself a property (its value may be its text) is left whole."""
    classes = (root.attributes.get("class") or "").split()
    if any(name.startswith(_PROPERTY_PREFIXES) for name in classes):
        return
    needed: set[int] = set()
    for inner in root.css("[class], [rel]"):
        meaningful = _meaningful(inner.attributes.get("class") or "") or (
            "me" in (inner.attributes.get("rel") or "").lower().split()
        )
        if not meaningful or inner.mem_id == root.mem_id:
            continue
        parent = inner  # the element and the wrappers between it and the root are read
        while parent is not None and parent.mem_id != root.mem_id and parent.mem_id not in needed:
            needed.add(parent.mem_id)
            parent = parent.parent
    unread = []
    stack = list(root.iter())
    while stack:
        node = stack.pop()
        if node.mem_id not in needed:
            unread.append(node)
        elif not _meaningful(node.attributes.get("class") or ""):
            stack.extend(node.iter())  # a wrapper: look inside
    for node in unread:
        node.decompose()


def _has_date_class(value: str) -> bool:
    """Whether a class attribute has a date word in it, in any case (a plain search: a
    case-insensitive regex was most of `_empty_comments`' CPU, bench/README.md)."""
    folded = value.casefold()
    return any(word in folded for word in _DATE_WORDS)


def _only_space(node: Any) -> bool:
    """Whether `node` holds nothing but white space (no element, no comment node)."""
    for child in node.iter(include_text=True):
        if child.tag != "-text" or (child.text_content or "").strip():
            return False
    return True


def _comment_root(node: Any, known: dict[int, tuple[bool, int | None]]) -> int | None:
    """The nearest root's id when a comment there may be emptied: it is an mf2 root, no
    ancestor (up to the document's top) is a p-*, u-*, dt-* or e-* property, and none is
    an mf1 root (whose properties, such as entry-content, are plain classes); else None,
    as for a comment in no root at all (nothing to gain, leave it). `known` keeps each
    ancestor's answer (blocked, nearest root) for the next comment under it."""
    chain = []
    parent = node.parent
    while parent is not None and parent.mem_id not in known:
        chain.append(parent)
        parent = parent.parent
    blocked, nearest = known[parent.mem_id] if parent is not None else (False, None)
    for above in reversed(chain):  # from the top down
        if not blocked:
            classes = (above.attributes.get("class") or "").split()
            if any(name.startswith(_PROPERTY_PREFIXES) for name in classes):
                blocked = True
            elif _is_root(above):
                blocked = not mf2_classes.root(classes, _NOT_ROOTS)  # an mf1 root
                nearest = above.mem_id
        known[above.mem_id] = (blocked, nearest)
    return None if blocked else nearest


def _kept_in_head(node: Any) -> bool:
    """<base> (mf2py resolves URLs with it) and rel=me links (authorship reads them), in <head>."""
    parent = node.parent
    if parent is None or parent.tag != "head":
        return False
    if node.tag == "base":
        return True
    return node.tag == "link" and "me" in (node.attributes.get("rel") or "").lower().split()


# Class names that make an element mean something to mf2py inside an mf2 root: mf2 roots and
# properties, the value-class pattern, and mf1 roots (nested mf1 items are parsed too).
_MEANINGFUL_NAMES = frozenset({"value", "value-title", *backcompat._CLASSIC_MAP})
_MF2_PREFIXES = ("h-", "p-", "u-", "dt-", "e-")
_PREFIX_FOLLOWERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _meaningful(value: str) -> bool:
    """Whether a class attribute holds a name that means something to mf2py inside an mf2
    root, in any case: a root or property prefix followed by a letter or digit (any other
    than ASCII counts too), `value`, `value-title` or an mf1 root's name."""
    for name in value.casefold().split():
        if name in _MEANINGFUL_NAMES:
            return True
        if name.startswith(_MF2_PREFIXES):
            follower = name[3:4] if name.startswith("dt-") else name[2:3]
            if follower and (follower in _PREFIX_FOLLOWERS or not follower.isascii()):
                return True
    return False


_E_PROPERTY = '[class*="e-"]'
_READ_AS_TEXT = {"e-name", "e-summary"}
_TEXT_PROPERTY_PREFIXES = ("p-", "u-", "dt-")
_NO_TEXT = {"script", "style", "template"}


@dataclass
class Collapsed:
    """The insides of e-* properties that mf2py need not parse, kept aside and put back.

    mf2py's cost is building a BeautifulSoup tree of every element it is given; an e-*
    property's inside is only turned into its `html` and `value`, unless it holds classes
    that make it part of the item (nested items, properties, value classes), an rel=me link
    (the authorship algorithm reads rel=me), or its root could take an implied photo or url
    through it (one child element). Each such inside is replaced by a placeholder word that
    can't occur in the page; `restore` puts its HTML back where mf2py's `html` has the word,
    and its text where any other string has it. The text is the element's text with images
    as their alt (else src) text, as mf2py's; its spacing is simpler, which post type
    discovery, the one reader of a collapsed `value`, does not see (it compares letters
    only). e-name and e-summary, whose text extraction shows, are never collapsed, nor is an
    element that is also a p-*, u-* or dt-* property (its text is that property's value).
    """

    text: str
    url: str
    parts: dict[str, tuple[str, str]] = field(default_factory=dict)
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))

    def take(self, tree: LexborHTMLParser, roots: list[Any]) -> None:
        """Collapse the plain e-* properties of mf2 roots in the outlined `tree`."""
        if self.nonce in self.text:  # astronomically unlikely; then nothing is collapsed
            return
        base = _base_url(tree, self.url)
        root_ids = {node.mem_id: node for node in roots}
        for node in tree.css(_E_PROPERTY):
            if self._collapsible(node, root_ids):
                word = f"pingsvc{self.nonce}n{len(self.parts)}z"  # n1z is not inside n10z
                self.parts[word] = ((node.inner_html or "").strip(), _text(node, base))
                for child in list(node.iter(include_text=True)):
                    child.decompose()
                node.insert_child(word)

    def _collapsible(self, node: Any, root_ids: dict[int, Any]) -> bool:
        classes = (node.attributes.get("class") or "").split()
        if not mf2_classes.has_embedded_class(classes) or node.mem_id in root_ids:
            return False
        if _READ_AS_TEXT & set(classes):  # extraction shows their value: mf2py's own spacing
            return False
        if any(name.startswith(_TEXT_PROPERTY_PREFIXES) for name in classes):
            return False  # also a p-name (Known's "p-name e-content"): mf2py reads its text
        parent = node.parent
        while parent is not None and parent.mem_id not in root_ids:
            parent = parent.parent
        if parent is None or not mf2_classes.root(
            (parent.attributes.get("class") or "").split(), _NOT_ROOTS
        ):
            return False  # only inside mf2 roots: an mf1 root's properties come from rules
        if sum(1 for _ in node.iter()) < 2:  # an only child may give its root a photo/url
            return False
        for inner in node.css("[class], [rel]"):  # the element itself comes first
            if inner.mem_id == node.mem_id:
                continue
            if _meaningful(inner.attributes.get("class") or ""):
                return False
            if "me" in (inner.attributes.get("rel") or "").lower().split():
                return False
        return True

    def restore(self, parsed: Parsed) -> Parsed:
        """Put the collapsed insides back into mf2py's result."""
        if self.parts:
            _put_back(parsed, self.parts, self.nonce)
        return parsed


def _put_back(value: Any, parts: dict[str, tuple[str, str]], nonce: str) -> Any:
    words = re.compile(f"pingsvc{nonce}n[0-9]+z")
    return _put_back_in(value, parts, nonce, words)


def _put_back_in(
    value: Any, parts: dict[str, tuple[str, str]], nonce: str, words: re.Pattern[str]
) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "html" and isinstance(item, str) and nonce in item:
                value[key] = words.sub(lambda word: parts[word[0]][0], item)
            else:
                value[key] = _put_back_in(item, parts, nonce, words)
        return value
    if isinstance(value, list):
        return [_put_back_in(item, parts, nonce, words) for item in value]
    if isinstance(value, str) and nonce in value:  # one pass, each word looked up once
        return words.sub(lambda word: parts[word[0]][1], value)
    return value


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    """The base URL mf2py resolves against: the first <base href>, joined with the page URL."""
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "") if node is not None else ""
    if not href:
        return url
    return href if urlsplit(href).netloc else urljoin(url, href)


def _text(node: Any, base: str) -> str:
    """An element's text as mf2py's e-* value reads it: no scripts or styles, images as their
    alt text (else their absolute src), whitespace runs as one space. (The outline has taken
    scripts and styles out already; without images, lexbor's own text is the same letters.)"""
    if node.css_first("img") is None:
        return " ".join(node.text(deep=True, separator=" ").split())  # split: faster than re
    parts: list[str] = []
    stack = list(reversed(list(node.iter(include_text=True))))
    while stack:
        current = stack.pop()
        tag = current.tag
        if tag == "-text":
            parts.append(current.text_content or "")
        elif tag == "img":
            alt = current.attributes.get("alt")
            src = current.attributes.get("src")
            if alt is not None or src is not None:
                parts.append(f" {alt if alt is not None else urljoin(base, src or '')} ")
        elif tag == "br":
            parts.append("\n")
        elif tag not in _NO_TEXT and not current.is_comment_node:
            if tag == "p":
                parts.append("\n")
            stack.extend(reversed(list(current.iter(include_text=True))))
    return " ".join("".join(parts).split())


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
