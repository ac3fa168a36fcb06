"""What a source page says about its link to the target: post type, author, content, dates.

mf2py parses the microformats; mf2util runs the IndieWeb's authorship and post interpretation
algorithms on the one h-entry that links to the target. Pages without microformats get the
WordPress-style treatment: the page title, the site name and an excerpt around the link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2py
import mf2util
from selectolax.lexbor import LexborHTMLParser

from pingsvc.fetch import Page
from pingsvc.sanitize import clean_html, safe_url
from pingsvc.urls import normalize_url, without_fragment
from pingsvc.verify import LINK_ATTRIBUTES, html_links

log = logging.getLogger(__name__)

# Properties that say how an entry relates to the target, strongest first.
RELATION_PROPERTIES = ("in-reply-to", "like-of", "repost-of", "bookmark-of", "mention-of")
RSVP_VALUES = {"yes", "no", "maybe", "interested"}
SUMMARY_LENGTH = 300
EXCERPT_CONTEXT = 100
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " » ", " · ")
_MARK_START, _MARK_END = "\u2063\u2064", "\u2064\u2063"
_SPACES = re.compile(r"\s+")

FetchMf2 = Callable[[str], dict[str, Any]]


@dataclass
class MentionData:
    """The extracted post, in the terms jf2 and webmention.io use."""

    property: str = "mention-of"
    rsvp: str | None = None
    url: str | None = None
    name: str | None = None
    summary: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_photo: str | None = None
    published: str | None = None
    updated: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    syndication: list[str] = field(default_factory=list)
    canonical: str | None = None
    site_name: str | None = None
    microformats: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _comparable(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return without_fragment(normalize_url(url))
    except Exception:  # noqa: BLE001 - not a URL, so not a link to the target
        return None


def _value_urls(value: Any) -> list[str]:
    """The URLs a property value names: a plain string, or an embedded h-cite's url/value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        urls = list(value.get("properties", {}).get("url", []))
        if isinstance(value.get("value"), str):
            urls.append(value["value"])
        return [u for u in urls if isinstance(u, str)]
    return []


def _all_entries(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    return list(mf2util.find_all_entries(parsed, ["h-entry"]))


def relation_to(entry: dict[str, Any], wanted: str) -> str | None:
    """Which property of `entry` names the target, or None."""
    props = entry.get("properties", {})
    for prop in RELATION_PROPERTIES:
        for value in props.get(prop, []):
            if any(_comparable(u) == wanted for u in _value_urls(value)):
                return prop
    return None


def _content_links_to(entry: dict[str, Any], wanted: str, base: str) -> bool:
    for content in entry.get("properties", {}).get("content", []):
        html = content.get("html") if isinstance(content, dict) else None
        if html and any(_comparable(link) == wanted for link in html_links(html, base)):
            return True
    return False


def _choose_entry(
    entries: list[dict[str, Any]], wanted: str, base: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The entry that links to the target (by property first, then by its content)."""
    for entry in entries:
        relation = relation_to(entry, wanted)
        if relation:
            return entry, relation
    for entry in entries:
        if _content_links_to(entry, wanted, base):
            return entry, "mention-of"
    return (entries[0], None) if len(entries) == 1 else (None, None)


def iso_date(value: Any) -> str | None:
    """ISO 8601 for an mf2 date string; keeps the offset when the page gave one."""
    if not value:
        return None
    text = str(value).strip()
    try:
        parsed = mf2util.parse_datetime(text)
    except (ValueError, TypeError, OverflowError):
        parsed = None
    if isinstance(parsed, datetime):
        return parsed.isoformat()
    if isinstance(parsed, date):
        return parsed.isoformat()
    return None


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def summarize(text: str | None, length: int = SUMMARY_LENGTH) -> str | None:
    """`text` cut at a word boundary near `length`, with an ellipsis when cut."""
    if not text:
        return None
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return f"{cut}…"


def _author_fields(author: dict[str, Any] | None, base: str) -> tuple[str | None, ...]:
    if not author:
        return None, None, None
    name = _plain(author.get("name"))
    url = author.get("url")
    photo = author.get("photo")
    if isinstance(photo, dict):  # mf2 2.0 photos may carry alt text
        photo = photo.get("value")
    url = safe_url(urljoin(base, url)) if isinstance(url, str) and url else None
    photo = safe_url(urljoin(base, photo)) if isinstance(photo, str) and photo else None
    return name, url, photo


def _meta(tree: LexborHTMLParser, *names: str) -> str | None:
    for name in names:
        node = tree.css_first(f'meta[property="{name}"], meta[name="{name}"]')
        if node is not None:
            value = _plain(node.attributes.get("content"))
            if value:
                return value
    return None


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
            if head.strip() and 0 < len(tail) <= 60:
                return head.strip(), tail.strip()
    return title, None


def excerpt_around_link(html: str, base: str, wanted: str) -> str | None:
    """About EXCERPT_CONTEXT characters either side of the first link to the target,
    WordPress style: "[…] text before LINK TEXT text after […]"."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, template, nav, header, footer"):
        node.decompose()
    body = tree.body or tree.root
    if body is None:
        return None
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = urljoin(base, base_node.attributes.get("href") or "")
    marked = False
    for node in body.css(", ".join(f"{tag}[{attr}]" for tag, attr in LINK_ATTRIBUTES.items())):
        value = node.attributes.get(LINK_ATTRIBUTES.get(node.tag or "", "href"))
        if value and _comparable(urljoin(base, value.strip())) == wanted:
            node.insert_before(_MARK_START)
            node.insert_after(_MARK_END)
            marked = True
            break
    if not marked:
        return None
    text = _SPACES.sub(" ", body.text(separator=" "))
    start, end = text.find(_MARK_START), text.find(_MARK_END)
    if start < 0 or end < 0:
        return None
    before = text[:start].strip()
    link_text = text[start + len(_MARK_START) : end].strip()
    after = text[end + len(_MARK_END) :].strip()
    head = before[-EXCERPT_CONTEXT:]
    if len(before) > EXCERPT_CONTEXT:
        head = "[…] " + head.split(" ", 1)[-1] if " " in head else "[…] " + head
    tail = after[:EXCERPT_CONTEXT]
    if len(after) > EXCERPT_CONTEXT:
        tail = (tail.rsplit(" ", 1)[0] if " " in tail else tail) + " […]"
    return _plain(" ".join(part for part in (head, link_text, tail) if part))


def _fallback(page: Page, wanted: str, parsed: dict[str, Any] | None) -> MentionData:
    """A mention from a page without a usable h-entry: title, site name, excerpt."""
    tree = LexborHTMLParser(page.text)
    title_node = tree.css_first("title")
    site_name = _meta(tree, "og:site_name", "application-name")
    title = _meta(tree, "og:title", "twitter:title") or (
        _plain(title_node.text()) if title_node is not None else None
    )
    name, site_name = split_title(title, site_name)
    if name and site_name is None and title_node is not None:
        _, site_name = split_title(_plain(title_node.text()), None)
    excerpt = excerpt_around_link(page.text, page.url, wanted)
    author: dict[str, Any] | None = None
    if parsed is not None:
        card = mf2util.representative_hcard(parsed, page.url)
        if card:
            author = mf2util.parse_author(card)
    author_name, author_url, author_photo = _author_fields(author, page.url)
    if not author_url:
        rel_author = (parsed or {}).get("rels", {}).get("author", [])
        author_url = safe_url(urljoin(page.url, rel_author[0])) if rel_author else None
    host = urlsplit(page.url).hostname or ""
    canonical = tree.css_first('link[rel~="canonical"][href]')
    return MentionData(
        property="mention-of",
        url=page.url,
        name=name,
        summary=summarize(excerpt),
        content_html=clean_html(excerpt, page.url) if excerpt else None,
        content_text=excerpt,
        author_name=author_name or _meta(tree, "author") or site_name or host,
        author_url=author_url or safe_url(f"{urlsplit(page.url).scheme}://{host}/"),
        author_photo=author_photo,
        published=iso_date(_meta(tree, "article:published_time", "date", "dc.date")),
        updated=iso_date(_meta(tree, "article:modified_time")),
        canonical=safe_url(urljoin(page.url, canonical.attributes.get("href") or ""))
        if canonical is not None
        else None,
        site_name=site_name,
        microformats=False,
    )


def parse_mf2(page: Page) -> dict[str, Any]:
    return mf2py.parse(doc=page.text, url=page.url, html_parser="lxml")


def extract(page: Page, target: str, fetch_mf2: FetchMf2 | None = None) -> MentionData:
    """The post on `page` that links to `target`. Pure, unless `fetch_mf2` is given: the
    authorship algorithm then uses it to read an author page."""
    wanted = _comparable(target) or target
    if not page.is_html:
        host = urlsplit(page.url).hostname or page.url
        return MentionData(
            url=page.url, author_name=host, author_url=safe_url(f"https://{host}/"),
            microformats=False,
        )  # fmt: skip
    parsed = parse_mf2(page)
    entry, relation = _choose_entry(_all_entries(parsed), wanted, page.url)
    if entry is None:
        return _fallback(page, wanted, parsed)
    data = _interpret(parsed, entry, page, fetch_mf2)
    data.property = relation or "mention-of"
    rsvp = _plain(" ".join(v for v in entry["properties"].get("rsvp", []) if isinstance(v, str)))
    if rsvp and rsvp.lower() in RSVP_VALUES and data.property == "in-reply-to":
        data.property, data.rsvp = "rsvp", rsvp.lower()
    if not data.author_name:
        fallback = _fallback(page, wanted, parsed)
        data.author_name = fallback.author_name
        data.author_url = data.author_url or fallback.author_url
        data.site_name = fallback.site_name
    return data


def _safe_fetch(fetch_mf2: FetchMf2 | None) -> FetchMf2 | None:
    if fetch_mf2 is None:
        return None

    def fetch(url: str) -> dict[str, Any]:
        try:
            return fetch_mf2(url)
        except Exception as exc:  # noqa: BLE001 - an unreadable author page means no author
            log.info("author page %s not usable: %s", url, exc)
            return {"items": [], "rels": {}, "rel-urls": {}}

    return fetch


def _interpret(
    parsed: dict[str, Any], entry: dict[str, Any], page: Page, fetch_mf2: FetchMf2 | None
) -> MentionData:
    result = mf2util.interpret_entry(
        parsed, page.url, hentry=entry, want_json=True, fetch_mf2_func=_safe_fetch(fetch_mf2)
    )
    author_name, author_url, author_photo = _author_fields(result.get("author"), page.url)
    content_html = clean_html(result.get("content") or "", page.url) or None
    content_text = _plain(result.get("content-plain"))
    if content_text is None and content_html:
        content_text = _plain(LexborHTMLParser(content_html).text(separator=" "))
    summary = _plain(result.get("summary")) or summarize(content_text)
    url = result.get("url")
    in_reply_to = [
        u for value in entry["properties"].get("in-reply-to", []) for u in _value_urls(value)
    ]
    canonical = parsed.get("rels", {}).get("canonical", [])
    return MentionData(
        url=safe_url(urljoin(page.url, url)) if isinstance(url, str) else page.url,
        name=_plain(result.get("name")),
        summary=summary,
        content_html=content_html,
        content_text=content_text,
        author_name=author_name,
        author_url=author_url,
        author_photo=author_photo,
        published=iso_date(result.get("published")),
        updated=iso_date(result.get("updated")),
        in_reply_to=[u for u in (safe_url(urljoin(page.url, u)) for u in in_reply_to) if u],
        syndication=sorted(u for u in (safe_url(s) for s in result.get("syndication", [])) if u),
        canonical=safe_url(canonical[0]) if canonical else None,
    )
