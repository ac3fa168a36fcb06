"""Which endpoint a fetched target page advertises: W3C Webmention §3.1.2, then Pingback 1.0.

Pure: it reads a Page (headers, final URL, body) and fetches nothing. The Link header is
parsed here (RFC 8288) rather than with requests.utils.parse_header_links, which splits on
every comma and misreads a URL or a quoted value holding one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pingsvc.fetch.page import Page

Protocol = Literal["webmention", "pingback"]

# A link-param after the <URI-Reference>: `; name`, `; name=token` or `; name="quoted"`.
_PARAM = re.compile(
    r"""\s*;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?"""
)
_QUOTED_PAIR = re.compile(r"\\(.)")
_ASCII_SPACE = " \t\n\f\r"  # what the URL parser strips around an href


@dataclass(frozen=True)
class Endpoint:
    """Where and how to notify a target: its webmention endpoint, or else its pingback server."""

    protocol: Protocol
    url: str


def header_links(value: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Each (URI-Reference, params) of a Link header value, in order. Parameter names are
    lowercased; the first of a repeated parameter wins (RFC 8288 §3.3 for rel)."""
    position, length = 0, len(value)
    while position < length:
        start = value.find("<", position)
        if start < 0:
            return
        end = value.find(">", start)
        if end < 0:
            return
        position = end + 1
        params: dict[str, str] = {}
        while match := _PARAM.match(value, position):
            name, raw = match.group(1).lower(), match.group(2) or ""
            if raw.startswith('"'):
                raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
            params.setdefault(name, raw)
            position = match.end()
        yield value[start + 1 : end].strip(), params
        # Whatever does not parse as a param runs up to the next link-value.
        comma = value.find(",", position)
        position = length if comma < 0 else comma + 1


def resolve(base: str, reference: str) -> str | None:
    """`reference` made absolute against `base`, or None when it is not a URL at all
    ("http://[oops"): a malformed endpoint is skipped like a missing one."""
    try:
        url = urljoin(base, reference.strip(_ASCII_SPACE))
        urlsplit(url)
    except ValueError:
        return None
    return url


def _has_rel(rel: str | None, wanted: str) -> bool:
    """rel values are a space-separated set, compared ASCII case-insensitively."""
    return wanted in (rel or "").lower().split()


def _headers(page: Page, name: str) -> list[str]:
    """Every value of header `name`, whatever its case (`LinK`): repeated headers arrive
    joined by commas, which the Link grammar separates again."""
    return [value for key, value in page.headers.items() if key.lower() == name]


def header_endpoint(page: Page) -> str | None:
    """The first Link header's rel=webmention URL, resolved: found without parsing the body."""
    for value in _headers(page, "link"):
        for url, params in header_links(value):
            found = resolve(page.url, url) if _has_rel(params.get("rel"), "webmention") else None
            if found is not None:
                return found
    return None


def _document_base(page: Page) -> str:
    """The URL relative hrefs in the document resolve against: <base href>, else the page's
    final URL (after redirects)."""
    base = page.tree.css_first("base[href]")
    href = (base.attributes.get("href") or "") if base is not None else ""
    return resolve(page.url, href) or page.url


def _html_endpoint(page: Page) -> str | None:
    """The first <link> or <a> in document order with rel=webmention and an href; an empty
    href is the page itself. Comments and escaped markup are not elements, so never count."""
    for node in page.tree.css("link[rel], a[rel]"):
        if not _has_rel(node.attributes.get("rel"), "webmention"):
            continue
        href = node.attributes.get("href")
        if href is None:  # `<link rel=webmention>` without an href advertises nothing
            continue
        found = resolve(_document_base(page), href)
        if found is not None:
            return found
    return None


def rel_url(page: Page, rel: str) -> str | None:
    """The first Link header URL with `rel`, else the first <link> or <a> of an HTML page
    with it, resolved: how an IndieWeb endpoint (token_endpoint...) is found."""
    for value in _headers(page, "link"):
        for url, params in header_links(value):
            found = resolve(page.url, url) if _has_rel(params.get("rel"), rel) else None
            if found is not None:
                return found
    if page.is_html:
        for node in page.tree.css("link[rel], a[rel]"):
            href = node.attributes.get("href")
            if href is not None and _has_rel(node.attributes.get("rel"), rel):
                found = resolve(_document_base(page), href)
                if found is not None:
                    return found
    return None


def webmention_endpoint(page: Page) -> str | None:
    """The webmention endpoint, exactly as §3.1.2 says: the first Link header with
    rel=webmention, else the first such <link> or <a> of an HTML page, resolved against the
    final URL."""
    found = header_endpoint(page)
    if found is None and page.is_html:
        found = _html_endpoint(page)
    return found


def pingback_endpoint(page: Page) -> str | None:
    """The pingback server (Pingback 1.0): the X-Pingback header, else the first
    <link rel="pingback" href="..."> of an HTML page."""
    for value in _headers(page, "x-pingback"):
        found = resolve(page.url, value) if value.strip(_ASCII_SPACE) else None
        if found is not None:
            return found
    if page.is_html:
        for node in page.tree.css("link[rel]"):
            href = (node.attributes.get("href") or "").strip(_ASCII_SPACE)
            if href and _has_rel(node.attributes.get("rel"), "pingback"):
                found = resolve(_document_base(page), href)
                if found is not None:
                    return found
    return None


def endpoint_of(page: Page) -> Endpoint | None:
    """How to notify the target `page`: its webmention endpoint, else its pingback server,
    else None."""
    webmention = webmention_endpoint(page)
    if webmention is not None:
        return Endpoint("webmention", webmention)
    pingback = pingback_endpoint(page)
    if pingback is not None:
        return Endpoint("pingback", pingback)
    return None
