"""Which URLs an author's post links to, the targets a send notifies. Pure: reads a Page.

With microformats, the post's h-entry says it: the links of its e-content and the URLs of
its response properties (in-reply-to, like-of...). Without, the post is the page's <main>
(else its first <article>, else its <body> less <header>, <footer>); anywhere, <nav>,
<aside>, forms and scripts are menus, sidebars and comment forms, not the post.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pingsvc.extract import mf2
from pingsvc.fetch.discovery import resolve
from pingsvc.fetch.page import Page
from pingsvc.urls import target_key

# The properties whose URLs a post responds to (in this order, before its content's links).
RESPONSE_PROPERTIES = (
    "in-reply-to",
    "like-of",
    "repost-of",
    "bookmark-of",
    "quotation-of",
    "mention-of",
    "follow-of",
    "tag-of",
)
_LINKS = "a[href], area[href]"
_NOT_THE_POST = "nav, aside, form, script, template, style, noscript"
_ASCII_SPACE = " \t\n\f\r"


def post_links(page: Page, *, include_own_host: bool = False) -> list[str]:
    """The absolute http(s) URLs `page` (an author's post) links to, in the post's order,
    each once, without fragments; links to the post's own host only when asked, never to
    the post itself. [] for a page that is not HTML."""
    if not page.is_html:
        return []
    found = _entry_links(page)
    if found is None:
        found = _page_links(page)
    return list(_targets(found, page.url, include_own_host))


def _targets(links: Iterable[str], page_url: str, include_own_host: bool) -> Iterator[str]:
    own_host = (urlsplit(page_url).hostname or "").lower()
    itself = _key(page_url)
    seen: set[str] = set()
    for link in links:
        try:
            url, _fragment = urldefrag(link)
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:  # a malformed href ("http://[oops") is simply not a link
            continue
        if parts.scheme.lower() not in {"http", "https"} or not host:
            continue
        if (host == own_host and not include_own_host) or _key(url) == itself:
            continue
        if url not in seen:
            seen.add(url)
            yield url


def _key(url: str) -> str | None:
    try:
        return target_key(url)
    except ValueError:
        return None


def _hrefs(root: LexborNode | LexborHTMLParser, base: str) -> Iterator[str]:
    """Each link's href in `root`, resolved against `base`; a bare #fragment links nowhere."""
    for node in root.css(_LINKS):
        href = (node.attributes.get("href") or "").strip(_ASCII_SPACE)
        url = resolve(base, href) if href and not href.startswith("#") else None
        if url is not None:
            yield url


def _base(tree: LexborHTMLParser, page_url: str) -> str:
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "") if node is not None else ""
    return resolve(page_url, href) or page_url


def _entry(parsed: mf2.Parsed, page_url: str) -> mf2.Item | None:
    """The post's h-entry: the one whose url is the page's, else the first that is not a
    comment on another."""
    posts = [
        item
        for item, parent in mf2.walk(parsed.get("items", []))
        if mf2.has_type(item, "h-entry")
        and not (parent and any(c is item for c in parent.get("properties", {}).get("comment", [])))
    ]
    wanted = _key(page_url)
    for item in posts:
        urls = item.get("properties", {}).get("url", [])
        if wanted and any(isinstance(u, str) and _key(u) == wanted for u in urls):
            return item
    return posts[0] if posts else None


def _entry_links(page: Page) -> list[str] | None:
    """The links of the page's h-entry, or None when it has none to go by (no h-entry, or
    one with neither content nor a response property)."""
    if not mf2.may_have_microformats(page.text):
        return None
    entry = _entry(mf2.parse(page.text, page.url, comments=False), page.url)
    if entry is None:
        return None
    props: dict[str, list[Any]] = entry.get("properties", {})
    links: list[str] = []
    for name in RESPONSE_PROPERTIES:
        for value in props.get(name, []):
            for url in mf2.urls_of(value):
                found = resolve(page.url, url)
                if found is not None:
                    links.append(found)
    contents = [c for c in props.get("content", []) if isinstance(c, dict) and c.get("html")]
    base = _base(page.tree, page.url)
    for content in contents:
        links.extend(_hrefs(LexborHTMLParser(content["html"]), base))
    if not contents and not links:
        return None
    return links


def _page_links(page: Page) -> list[str]:
    """The links of a page without an h-entry: its <main>, else its first <article>, else
    its <body> less <header> and <footer>; never in menus, sidebars or forms."""
    tree = LexborHTMLParser(page.text)  # its own tree: parts of it are removed
    base = _base(tree, page.url)
    for node in tree.css(_NOT_THE_POST):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article")
    if root is None:
        for node in tree.css("header, footer"):
            node.decompose()
        root = tree.body
    return list(_hrefs(root, base)) if root is not None else []
