"""Does a fetched source page link to the target? Pure functions, one per media type."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from pingsvc.errors import FetchError
from pingsvc.fetch.page import Page
from pingsvc.urls import normalize_url, target_key

# Elements whose URL attribute counts as a link; text, comments and scripts never do.
LINK_ATTRIBUTES = {
    "a": "href",
    "link": "href",
    "area": "href",
    "img": "src",
    "video": "src",
    "audio": "src",
    "source": "src",
}
_SELECTOR = ", ".join(f"{tag}[{attr}]" for tag, attr in LINK_ATTRIBUTES.items())
_TEXT_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def _comparable(url: str) -> str | None:
    """The form links and targets are compared in: the read API's rule (pingsvc.urls.target_key),
    so http and https, a trailing slash and a fragment don't matter; the path still must be
    the same, so post/12 never counts for post/1."""
    try:
        return target_key(normalize_url(url))
    except Exception:  # noqa: BLE001 - a malformed href on the page is simply not a link
        return None


def html_links(html: str | LexborHTMLParser, page_url: str, path: str = "") -> Iterator[str]:
    """Every link URL in an HTML document (or its parsed tree), resolved against <base href>
    and the page URL. With `path` (a target's path without trailing slashes), only the links
    that may resolve to it: resolving every link of a page costs more than parsing it."""
    tree = LexborHTMLParser(html) if isinstance(html, str) else html
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = urljoin(page_url, (base_node.attributes.get("href") or "").strip())
    segment = path.rsplit("/", 1)[-1]
    for node in tree.css(_SELECTOR):
        value = node.attributes.get(LINK_ATTRIBUTES.get(node.tag or "", "href"))
        if value and (not path or _may_resolve_to(value.strip(), path, segment)):
            yield urljoin(base, value.strip())


_URL_IGNORED = dict.fromkeys(map(ord, "\t\r\n"))


def _may_resolve_to(reference: str, path: str, segment: str) -> bool:
    """Whether `reference` may resolve to a URL whose path is `path` (trailing slashes
    aside). Paths are compared as written, so an absolute URL must contain it unless dot
    segments move it; a relative one, against any base, ends in its own last segment unless
    that is empty, "." or "..". A cheap test that never says no to a link that matches.
    Tabs and line breaks are dropped first, as urlsplit (and browsers) drop them anywhere."""
    reference = reference.translate(_URL_IGNORED)
    own_path = reference.split("#", 1)[0].split("?", 1)[0]
    if reference[:8].lower().startswith(("http://", "https://", "//")):
        return path in reference or "/." in own_path
    if segment in reference:
        return True
    return own_path.rsplit("/", 1)[-1] in ("", ".", "..")


def text_urls(text: str) -> Iterator[str]:
    """The http(s) URLs written in plain text, without the punctuation that ends a sentence,
    so that `post/12` is never taken for `post/1`."""
    for match in _TEXT_URL.finditer(text):
        yield match.group(0).rstrip(".,;:!?)]}'\"")


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def links_to(page: Page, target: str) -> bool:
    """True when `page` links to `target`; raise FetchError for media types we can't read.

    Fragments are ignored on both sides, so a link to `post/1#comment-12` counts for `post/1`.
    """
    wanted = _comparable(target)
    if page.is_html:
        links = html_links(page.tree, page.url, urlsplit(target).path.rstrip("/"))
        return any(_comparable(link) == wanted for link in links)
    if page.is_json:  # fetch.page.JSON_TYPES, or any +json type
        try:
            document = json.loads(page.text)
        except ValueError as exc:
            raise FetchError("the source is served as JSON but is not valid JSON") from exc
        return any(
            s == target or _comparable(s) == wanted
            for s in _json_strings(document)
            if s.startswith("http")
        )
    if page.media_type == "text/plain":
        return any(_comparable(url) == wanted for url in text_urls(page.text))
    raise FetchError(
        f"the source is of type {page.media_type}; only HTML, JSON and plain text are read"
    )
