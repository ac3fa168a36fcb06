"""What a feed of the author's posts lists: RSS, Atom, JSON Feed or an h-feed page, read into
entries (the post's URL and a fingerprint of its content). Pure: a fetched Page in, values out.

RSS and Atom are read by feedparser rather than by hand: it is kept up (6.0.x, released
through 2026), copes with the many dialects real feeds are in (RSS 0.9x/1.0/2.0, Atom 0.3/1.0,
namespaces, xml:base, broken markup through its loose parser) and, given bytes, never opens
a URL or a file. It stays bounded: external entities are off and the DOCTYPE's entity
declarations are stripped (feedparser.sanitizer.replace_doctype), expat >= 2.4 refuses entity
amplification, the body is at most PINGSVC_FETCH_MAX_BYTES, and the poller runs this module
in the parse sandbox under its CPU budget (pingsvc.pipeline.sandbox). JSON Feed is plain
json; h-feed is mf2py through pingsvc.extract.mf2, as for received mentions.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin

import feedparser
from selectolax.lexbor import LexborHTMLParser

from pingsvc.errors import FetchError, HostilePage, PingError
from pingsvc.extract import mf2
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.urls import normalize_url

# A feed lists its newest posts first; more than this many in one feed are not a blog's feed
# but an archive, and only the first ones are read.
MAX_ENTRIES = 1000
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
XML_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
}
_XML_START = re.compile(rb"\s*(?:\xef\xbb\xbf)?\s*<(?:\?xml|rss[\s>]|feed[\s>]|rdf:RDF)")
_ALTERNATE_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

Format = Literal["rss", "atom", "json", "h-feed"]


class NotAFeed(FetchError):
    """The page is not a feed pingsvc can read (or lists no post with a URL)."""

    kind = "not_a_feed"


@dataclass(frozen=True)
class Entry:
    """One post the feed lists: its URL and the sha256 of what the feed says of it."""

    url: str
    fingerprint: str


@dataclass(frozen=True)
class ParsedFeed:
    format: Format
    entries: tuple[Entry, ...]


def fingerprint(*parts: Any) -> str:
    """sha256 of the entry's title, content and dates, as the feed gives them: a post whose
    content (and so, maybe, its links) changed gets a new one."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_feed(page: Page, max_depth: int = 512) -> ParsedFeed:
    """The entries of a fetched feed (run in a sandbox child); NotAFeed when the page is not
    one, with what the page is instead."""
    check_page(page, max_depth)  # binary, undecodable and deep documents: before parsing
    head = page.body[:512]
    try:
        if page.is_json or head.lstrip().startswith(b"{"):
            return _json_feed(page)
        if page.media_type in XML_TYPES or _XML_START.match(head):
            return _xml_feed(page)
        if page.is_html:
            return _h_feed(page)
    except RecursionError as exc:
        raise HostilePage("the feed is nested too deeply to read") from exc
    raise NotAFeed(
        f"{page.url} is {page.media_type}, not a feed: give the URL of an RSS, Atom or "
        "JSON Feed, or of an HTML page with an h-feed"
    )


def _entries(pairs: Any) -> tuple[Entry, ...]:
    """Entries with an absolute http(s) URL, the first of each URL, at most MAX_ENTRIES."""
    found: dict[str, Entry] = {}
    for url, digest in pairs:
        if not isinstance(url, str) or not url.strip():
            continue
        try:
            url = normalize_url(url, "url")
        except PingError:
            continue  # a mailto:, a tag: id, a relative URL with no base: not a post to send
        if url not in found:
            found[url] = Entry(url, digest)
        if len(found) >= MAX_ENTRIES:
            break
    return tuple(found.values())


def _xml_feed(page: Page) -> ParsedFeed:
    parsed = feedparser.parse(
        io.BytesIO(page.body),
        response_headers={
            "content-location": page.url,
            "content-type": page.headers.get("Content-Type", page.media_type),
        },
        resolve_relative_uris=False,  # only the entry links are needed; feedparser joins those
        sanitize_html=False,  # nothing is shown: the content is only fingerprinted
    )
    version = str(parsed.get("version") or "")
    if not version:
        problem = parsed.get("bozo_exception")
        detail = f" ({problem})" if problem else ""
        raise NotAFeed(f"{page.url} is XML but not an RSS or Atom feed{detail}")

    def pairs() -> Any:
        for item in parsed.entries:
            content = [c.get("value") for c in item.get("content", [])]
            digest = fingerprint(
                item.get("title"), content, item.get("summary"),
                item.get("published"), item.get("updated"),
            )  # fmt: skip
            yield item.get("link") or _permalink_id(item), digest

    return ParsedFeed("atom" if version.startswith("atom") else "rss", _entries(pairs()))


def _permalink_id(item: Any) -> str | None:
    """An RSS guid that is a permalink, when the item has no <link>."""
    return item.get("id") if item.get("guidislink") else None


def _json_feed(page: Page) -> ParsedFeed:
    try:
        document = json.loads(page.text)
    except ValueError as exc:
        raise NotAFeed(f"{page.url} is not valid JSON ({exc})") from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise NotAFeed(
            f'{page.url} is JSON but not a JSON Feed (its version must be "{JSON_FEED_VERSION}1.1")'
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise NotAFeed(f"{page.url} is a JSON Feed without an items list")

    def pairs() -> Any:
        for item in items:
            if not isinstance(item, dict):
                continue
            url = item.get("url")
            digest = fingerprint(
                item.get("title"), item.get("content_html"), item.get("content_text"),
                item.get("summary"), item.get("date_published"), item.get("date_modified"),
            )  # fmt: skip
            yield (urljoin(page.url, url) if isinstance(url, str) else None), digest

    return ParsedFeed("json", _entries(pairs()))


def _h_feed(page: Page) -> ParsedFeed:
    parsed = mf2.parse(page.text, page.url)
    items = parsed.get("items", [])
    feed = next((item for item, _ in mf2.walk(items) if mf2.has_type(item, "h-feed")), None)
    # A page without an h-feed whose top-level items are h-entries is one implied
    # (microformats2 parsing: "h-feed ... implied by the page").
    entries = [
        c for c in (feed.get("children", []) if feed else items) if mf2.has_type(c, "h-entry")
    ]

    def pairs() -> Any:
        for entry in entries:
            props = entry.get("properties", {})
            digest = fingerprint(
                props.get("name"), props.get("content"), props.get("summary"),
                props.get("published"), props.get("updated"),
            )  # fmt: skip
            yield mf2.first(entry, "url"), digest

    found = _entries(pairs())
    if not found:
        raise NotAFeed(_no_h_feed(page, has_entries=bool(entries)))
    return ParsedFeed("h-feed", found)


def _no_h_feed(page: Page, *, has_entries: bool) -> str:
    """Why an HTML page is not a feed, and where its feed is when the page says."""
    if has_entries:
        reason = f"{page.url} has h-entries but none with a u-url (the post's permalink)"
    else:
        reason = f"{page.url} is an HTML page without an h-feed or h-entry"
    for node in LexborHTMLParser(page.text).css("link[rel][href]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").lower().strip()
        if "alternate" in rels and kind in _ALTERNATE_TYPES:
            href = urljoin(page.url, (node.attributes.get("href") or "").strip())
            return f"{reason}; it names its feed {href}: add that URL instead"
    return reason
