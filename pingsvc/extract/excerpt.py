"""What a page says without microformats: title, site name, dates, rels, and the WordPress-style
excerpt around the link ("[…] text before LINK TEXT text after […]"). One lexbor tree per page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pingsvc.extract.links import LINK_ATTRIBUTES
from pingsvc.urls import target_key

EXCERPT_CONTEXT = 100  # characters of text kept on each side of the link, as WordPress does
LINK_TEXT_MAX = 100
ELLIPSIS = "[…]"
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " » ", " · ", " / ")
_SPACES = re.compile(r"\s+")
_GONE = re.compile(r"^\s*410\b")
# Mark the link in the text; private-use characters, so page text can't collide by accident.
_START, _END = "\ue000pingsvc:link\ue000", "\ue001pingsvc:link\ue001"
_SKIP = "script, style, noscript, template, svg, math, textarea, select, button, iframe, object"
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "td", "th", "tr", "ul", "br",
}  # fmt: skip
_FURNITURE = {"nav", "header", "footer", "aside"}
_LINK_SELECTOR = ", ".join(f"{tag}[{attr}]" for tag, attr in LINK_ATTRIBUTES.items())
_REL_SELECTOR = "a[rel][href], link[rel][href], area[rel][href]"
# The rels extraction reads: a comment thread's nofollow and ugc links are not resolved.
READ_RELS = frozenset({"author", "syndication", "canonical"})


@dataclass
class PageMeta:
    """The page-level facts every extraction needs, read from one parse of the page."""

    base: str
    title: str | None = None
    site_name: str | None = None
    published: str | None = None
    updated: str | None = None
    canonical: str | None = None
    gone: bool = False
    rels: dict[str, list[str]] = field(default_factory=dict)  # READ_RELS only


def plain(value: Any) -> str | None:
    """`value` with runs of white space made single spaces; None when empty."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None  # str.split's white space is re's \s, and faster


def split_title(title: str | None, site_name: str | None) -> tuple[str | None, str | None]:
    """("Movie Review – Her", "Fernby Films") from "Movie Review – Her | Fernby Films"."""
    if not title:
        return None, site_name
    if site_name:
        for sep in _TITLE_SEPARATORS:
            suffix = f"{sep}{site_name}"
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].strip(), site_name
        return title, site_name
    for sep in (" | ", " – ", " — "):  # unambiguous separators only when no site name is known
        if sep in title:
            head, _, tail = title.rpartition(sep)
            if head.strip() and 0 < len(tail.strip()) <= 60:
                return head.strip(), tail.strip()
    return title, None


def _metas(tree: LexborHTMLParser) -> dict[str, str]:
    """<meta name|property|itemprop|http-equiv=K content=V>, first value per lower-case key."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        content = attrs.get("content")
        if content is None:
            continue
        for key in ("property", "name", "itemprop", "http-equiv"):
            value = attrs.get(key)
            if value:
                found.setdefault(value.strip().lower(), content)
    return found


def _json_ld(tree: LexborHTMLParser) -> dict[str, Any]:
    """The first JSON-LD object with a datePublished (schema.org Article and its kin)."""
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text(deep=True) or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "datePublished" in item:
                    return item
                stack.extend(v for k, v in item.items() if k == "@graph")
    return {}


def read_page(tree: LexborHTMLParser, page_url: str) -> PageMeta:
    """Title (site-name suffix split off), site name, dates, canonical, the rels extraction
    reads (READ_RELS, resolved against <base>) and a 410 marker."""
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:  # a javascript: or data: base would make every link unsafe
        declared = urljoin(page_url, (base_node.attributes.get("href") or "").strip())
        base = declared if declared.lower().startswith(("http://", "https://")) else page_url
    metas = _metas(tree)
    rels: dict[str, list[str]] = {}
    for node in tree.css(_REL_SELECTOR):
        wanted = [r for r in (node.attributes.get("rel") or "").lower().split() if r in READ_RELS]
        if not wanted:
            continue
        url = urljoin(base, (node.attributes.get("href") or "").strip())
        for rel in wanted:
            if url not in rels.setdefault(rel, []):
                rels[rel].append(url)
    title_node = tree.css_first("title")
    page_title = plain(title_node.text()) if title_node is not None else None
    site_name = plain(metas.get("og:site_name")) or plain(metas.get("application-name"))
    title = plain(metas.get("og:title")) or plain(metas.get("twitter:title")) or page_title
    name, site_name = split_title(title, site_name)
    if site_name is None and page_title and page_title != title:
        site_name = split_title(page_title, None)[1]
    json_ld = _json_ld(tree) if "datepublished" not in metas else {}
    published = (
        metas.get("article:published_time")
        or metas.get("datepublished")
        or metas.get("dc.date")
        or metas.get("dcterms.created")
        or metas.get("date")
        or json_ld.get("datePublished")
    )
    updated = (
        metas.get("article:modified_time")
        or metas.get("og:updated_time")
        or metas.get("datemodified")
        or json_ld.get("dateModified")
    )
    canonical = rels.get("canonical", [None])[0]
    return PageMeta(
        base=base,
        title=name,
        site_name=site_name,
        published=published if isinstance(published, str) else None,
        updated=updated if isinstance(updated, str) else None,
        canonical=canonical,
        gone=bool(_GONE.match(metas.get("status", ""))),
        rels=rels,
    )


def _text(block: LexborNode) -> str:
    """The block's text as a reader sees it: block boundaries become spaces."""
    parts: list[str] = []
    for node in block.traverse(include_text=True):
        if node.tag == "-text":
            parts.append(node.text_content or "")
        elif node.tag in _BLOCKS:
            parts.append(" ")
    return _SPACES.sub(" ", "".join(parts))


def _link_to(root: LexborNode, base: str, wanted: str) -> LexborNode | None:
    """The first link to the target in the page's text, preferring one outside navigation,
    headers, footers and sidebars (a site's menu is not what the page says about the post)."""
    fallback = None
    for node in root.css(_LINK_SELECTOR):
        value = node.attributes.get(LINK_ATTRIBUTES.get(node.tag or "", "href"))
        if not value:
            continue
        try:
            if target_key(urljoin(base, value.strip())) != wanted:
                continue
        except ValueError:
            continue
        if not _in_page_furniture(node):
            return node
        fallback = fallback or node
    return fallback


def _in_page_furniture(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in (None, "body", "html"):
        if parent.tag in _FURNITURE or parent.attributes.get("role") == "navigation":
            return True
        parent = parent.parent
    return False


def _context_block(link: LexborNode, link_text: str) -> LexborNode:
    """The nearest block around the link with some text besides the link's own (a link alone
    in a list item gets the list's text as context), never the whole body unless the link
    sits in no other block."""
    chosen: LexborNode | None = None
    node = link.parent
    climbs = 0
    while node is not None and node.tag not in (None, "body", "html", "-undef"):
        if node.tag in _BLOCKS:
            chosen = node
            climbs += 1
            if climbs >= 3 or len(_text(node)) - len(link_text) >= EXCERPT_CONTEXT // 2:
                break
        node = node.parent
    return chosen or node or link


def _cut_before(text: str) -> str:
    """The last EXCERPT_CONTEXT characters of `text`, without a word cut in half."""
    if len(text) <= EXCERPT_CONTEXT:
        return text
    head = text[-EXCERPT_CONTEXT:]
    if text[-EXCERPT_CONTEXT - 1].isspace() or " " not in head.strip():
        return head.lstrip()
    return head.split(" ", 1)[1].lstrip()


def _cut_after(text: str) -> str:
    """The first EXCERPT_CONTEXT characters of `text`, without a word cut in half."""
    if len(text) <= EXCERPT_CONTEXT:
        return text
    tail = text[:EXCERPT_CONTEXT]
    if text[EXCERPT_CONTEXT].isspace() or " " not in tail.strip():
        return tail.rstrip()
    return tail.rsplit(" ", 1)[0].rstrip()


def _join(before: str, middle: str, after: str) -> str | None:
    """before + middle + after, with a space only where the page had one: "database, because"
    stays together. Wrapped in "[…]" as WordPress does."""
    text = before.lstrip()
    if middle:
        text += (" " if text and before[-1:].isspace() else "") + middle
    if after.strip():
        text += (" " if text and after[:1].isspace() else "") + after.strip()
    joined = plain(text)
    return f"{ELLIPSIS} {joined} {ELLIPSIS}" if joined else None


def excerpt_around_link(tree: LexborHTMLParser, base: str, target: str) -> str | None:
    """WordPress's pingback context: up to EXCERPT_CONTEXT characters either side of the first
    link to `target`, from the paragraph it sits in, with the link text, between "[…]"s.
    Changes `tree` (marks the link, drops scripts), so call it last."""
    body = tree.body or tree.root
    if body is None:
        return None
    link = _link_to(body, base, target_key(target))
    if link is None:
        return None
    link_text = plain(_text(link)) or plain(link.attributes.get("alt")) or ""
    if len(link_text) > LINK_TEXT_MAX:
        link_text = link_text[:LINK_TEXT_MAX].rstrip() + "…"
    block = _context_block(link, link_text)
    for node in block.css(_SKIP):
        node.decompose()
    link.insert_before(_START)
    link.insert_after(_END)
    before, _, rest = _text(block).partition(_START)
    _, _, after = rest.partition(_END)
    return _join(_keep_space(_cut_before, before), link_text, _keep_space(_cut_after, after))


def _keep_space(cut: Any, text: str) -> str:
    """`cut` applied to the text, keeping a leading/trailing space that separates it from
    the link."""
    inner = cut(text.strip())
    lead = " " if text[:1].isspace() and inner else ""
    trail = " " if text[-1:].isspace() and inner else ""
    return f"{lead}{inner}{trail}"


def text_excerpt(text: str, target: str) -> str | None:
    """The same excerpt for a plain-text source: the text around the target's first mention."""
    at = text.find(target)
    if at < 0:
        return None
    before = _keep_space(_cut_before, _SPACES.sub(" ", text[:at]))
    after = _keep_space(_cut_after, _SPACES.sub(" ", text[at + len(target) :]))
    return _join(before, target, after)
