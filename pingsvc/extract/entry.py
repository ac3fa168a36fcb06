"""What a source page says about its link to the target: post type, author, content, dates.

mf2py parses the microformats (extract.mf2), and the one h-entry that links to the target is
interpreted here with mf2util's helpers (post type discovery, is_name_a_title, parse_author).
Authorship is extract.authorship; pages without a usable entry get the WordPress treatment
from extract.excerpt: the page title, the site name and an excerpt around the link. The page
is parsed once by lexbor (page facts, excerpt) and at most once by mf2py.
"""

from __future__ import annotations

import email.utils
import html
import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2util
from selectolax.lexbor import LexborHTMLParser

from pingsvc.errors import SourceGone
from pingsvc.extract import mf2
from pingsvc.extract.authorship import Author, FetchMf2, find_author, page_author, same_url
from pingsvc.extract.excerpt import PageMeta, excerpt_around_link, plain, read_page, text_excerpt
from pingsvc.extract.links import html_links
from pingsvc.fetch.page import Page
from pingsvc.sanitize import clean_html, safe_url, text_of
from pingsvc.urls import target_key

# Properties that say how an entry relates to the target, strongest first (wm-property).
RELATION_PROPERTIES = ("in-reply-to", "like-of", "repost-of", "bookmark-of", "mention-of")
RSVP_VALUES = {"yes", "no", "maybe", "interested"}
SUMMARY_LENGTH = 300
NAME_MAX = 500
_LONG_NAME = 60  # a "name" this long that the content repeats is the content, not a title
_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?)?$",
    re.IGNORECASE,
)

__all__ = ["FetchMf2", "MentionData", "extract", "iso_date", "summarize"]


@dataclass
class MentionData:
    """The extracted post, in the terms jf2 and webmention.io use."""

    property: str = "mention-of"
    rsvp: str | None = None
    post_type: str | None = None
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
    # Where the page was read from (the source after redirects): it names the post too, but
    # is how it was fetched, not what it says, so it is not part of as_dict (content_hash).
    page_url: str | None = field(default=None, metadata={"fetched": True})

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (lists are the instance's own: read, don't change them;
        dataclasses.asdict's deep copy was a tenth of storing a verdict)."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(MentionData) if not f.metadata.get("fetched"))


def iso_date(value: Any) -> str | None:
    """ISO 8601 for a page's date: "2024-03-05T10:12:00-05:00", "2024-03-05" for a bare date,
    no offset when the page gave none (never invented); None when it isn't a date.

    Replaces mf2util.parse_datetime, which needs minutes in the offset and rejects RFC 2822.
    """
    text = plain(value)
    if not text:
        return None
    match = _DATE.match(text)
    if match is None:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        return moment.isoformat(timespec="seconds")
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day)).isoformat()
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        if offset:
            moment = moment.replace(tzinfo=_zone(offset))
    except ValueError:
        return None
    return moment.isoformat(timespec="seconds")


def _zone(offset: str) -> timezone:
    if offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "0")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def summarize(text: str | None, length: int = SUMMARY_LENGTH) -> str | None:
    """`text` on one line, cut at a word boundary near `length` with an ellipsis when cut.
    Only the start of a long text is read: the cut falls within its first `length` letters."""
    if text and len(text) > 4 * length + 64:
        head = plain(text[: 4 * length + 64])
        if head and len(head) > length:  # the whole is longer too: cut the start
            text = head
    text = plain(text)
    if not text or len(text) <= length:
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    if space >= length * 0.6:  # text without spaces (Japanese, URLs) is cut where it is
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


# Not str.isalnum(): in str patterns, \w is exactly isalnum() or "_" (a regex is much faster
# than a loop over a post's characters).
_NOT_ALNUM = re.compile(r"[\W_]+")


def _normal(text: str) -> str:
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", text).lower())


# Properties that come only from u-* and dt-* classes: mf2 still implies a name beside them.
_NOT_NAMING = {
    "url", "uid", "photo", "video", "audio", "featured", "syndication", "published", "updated",
    "in-reply-to", "like-of", "repost-of", "bookmark-of", "mention-of", "quotation-of",
    "follow-of",
}  # fmt: skip


def has_implied_name(entry: mf2.Item) -> bool:
    """True when the entry's name is mf2's implied one, the text of the whole entry: it has
    no p-*/e-* property besides the name and no nested microformat."""
    props = entry.get("properties", {})
    if "name" not in props or entry.get("children"):
        return False
    return all(
        prop == "name"
        or (prop in _NOT_NAMING and not any(isinstance(v, dict) and "type" in v for v in values))
        for prop, values in props.items()
    )


def entry_name(entry: mf2.Item, content_text: str | None) -> str | None:
    """The entry's name when it is a real title. mf2util.is_name_a_title drops names that
    contain the content (implied names); names the content repeats (Known's p-name on the
    status text, a note's first line) are dropped too, as webmention.io does."""
    name = plain(mf2.text_of(mf2.first(entry, "name")))
    if not name or not is_name_a_title(name, content_text):
        return None
    if content_text:
        short = _normal(name)
        if len(name) > _LONG_NAME:
            repeated = short in _normal(content_text)
        else:
            repeated = _normal_head(content_text, len(short)).startswith(short)
        if short and repeated:
            return None
    return name[:NAME_MAX]


def _normal_head(text: str, length: int) -> str:
    """The start of _normal(text), at least `length` characters of it when there are: a
    post's first words tell whether it starts with its name, without reading all of it.
    (_normal keeps letters and digits only, so it never joins a cut-off mark to a letter.)"""
    cut = 4 * length + 64
    while True:
        head = _normal(text[:cut])
        if len(head) >= length or cut >= len(text):
            return head
        cut *= 4


def _outgrows(text: str, name: str) -> bool:
    """Whether `text` has more letters and digits than `name` has characters (decomposed):
    then its letters can't all be within the name, which is mf2util.is_name_a_title's test.
    Reads only as much of `text` as it takes to tell."""
    budget = len(unicodedata.normalize("NFKD", name))
    return len(_normal_head(text, budget + 1)) > budget


def is_name_a_title(name: str, content: str | None) -> bool:
    """mf2util.is_name_a_title (the content's letters are not all in the name), without
    normalizing a whole long post when its start already outgrows the name."""
    if content and name and len(content) > 256 and _outgrows(content, name):
        return True
    return bool(mf2util.is_name_a_title(name, content))


def post_type(entry: mf2.Item) -> str:
    """mf2util.post_type_discovery, given only the start of a long content value: all it
    reads of it is is_name_a_title's answer, which the start gives when it is True."""
    name = plain(mf2.text_of(mf2.first(entry, "name")))
    content = mf2.first(entry, "content")
    value = content.get("value") if isinstance(content, dict) else None
    if name and isinstance(value, str) and len(value) > 256:
        head = value[: max(256, 8 * len(unicodedata.normalize("NFKD", name)) + 64)]
        if _outgrows(head, name):
            props = {**entry.get("properties", {}), "content": [{**content, "value": head}]}
            entry = {**entry, "properties": props}
    return str(mf2util.post_type_discovery(entry))


def _relation(entry: mf2.Item, wanted: str) -> str | None:
    """Which property of `entry` names the target, or None."""
    props = entry.get("properties", {})
    for prop in RELATION_PROPERTIES:
        for value in props.get(prop, []):
            if any(_key(u) == wanted for u in mf2.urls_of(value)):
                return prop
    return None


def _key(url: str) -> str | None:
    try:
        return target_key(url.strip())
    except ValueError:
        return None


def _content_links_to(entry: mf2.Item, wanted: str, base: str) -> bool:
    for content in entry.get("properties", {}).get("content", []):
        markup = content.get("html") if isinstance(content, dict) else None
        if markup and any(_key(link) == wanted for link in html_links(markup, base)):
            return True
    return False


def choose_entry(
    entries: list[tuple[mf2.Item, mf2.Item | None]], wanted: str, base: str
) -> tuple[mf2.Item | None, mf2.Item | None, str | None]:
    """(entry, its parent, relation): the first entry naming the target in a property, else
    the first whose content links to it, else the page's only post (the link is elsewhere
    on a permalink page); (None, None, None) for a feed none of whose entries links."""
    for entry, parent in entries:
        relation = _relation(entry, wanted)
        if relation:
            return entry, parent, relation
    for entry, parent in entries:
        if _content_links_to(entry, wanted, base):
            return entry, parent, "mention-of"
    posts = _posts(entries)
    if len(posts) == 1:
        return posts[0][0], posts[0][1], "mention-of"
    return None, None, None


def _posts(
    entries: list[tuple[mf2.Item, mf2.Item | None]],
) -> list[tuple[mf2.Item, mf2.Item | None]]:
    """The entries that are posts of the page, not p-comments on one of them."""
    return [
        (entry, parent)
        for entry, parent in entries
        if parent is None
        or not any(c is entry for c in parent.get("properties", {}).get("comment", []))
    ]


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _complete(author: Author | None, parsed: mf2.Parsed, page: Page, meta: PageMeta) -> Author:
    """Fill in an author the algorithm didn't name: the page's own h-card, the site name, or
    the host (of the author page when one is known)."""
    if author is not None and author.name:
        return author
    card = page_author(parsed, page.url)
    if author is None or not author.url:
        return card or Author(name=meta.site_name or _host(page.url))
    if card is not None and same_url(card.url, author.url):
        return card
    same_site = _host(author.url) == _host(page.url)
    return Author(name=(meta.site_name if same_site else None) or _host(author.url), url=author.url)


def _urls(values: list[Any], base: str) -> list[str]:
    found: list[str] = []
    for value in values:
        for url in mf2.urls_of(value):
            absolute = safe_url(urljoin(base, url.strip()))
            if absolute and absolute not in found and len(absolute) <= 2048:
                found.append(absolute)
    return found


def _from_entry(
    page: Page,
    meta: PageMeta,
    parsed: mf2.Parsed,
    chosen: tuple[mf2.Item, mf2.Item | None, str],
    main: bool,
    fetch_mf2: FetchMf2 | None,
    summary_length: int,
    wanted: str,
) -> MentionData:
    entry, parent, relation = chosen
    props = entry.get("properties", {})
    if props.get("deleted"):
        raise SourceGone("the source post is marked deleted (dt-deleted)", status_code=410)
    content = mf2.first(entry, "content")
    markup = content.get("html") if isinstance(content, dict) else None
    if markup is None and isinstance(content, str):
        markup = html.escape(content)
    implied = markup is None and has_implied_name(entry)
    if implied:  # a note without e-content: its implied name is the text a reader expects
        markup = html.escape(mf2.text_of(mf2.first(entry, "name")) or "")
    content_html = clean_html(markup or "", meta.base) or None
    # The text of what is shown, not mf2py's value: that keeps the text of forms, buttons and
    # other markup the sanitizer drops.
    content_text = text_of(content_html) if content_html else None
    explicit_summary = plain(mf2.text_of(mf2.first(entry, "summary")))
    summary = explicit_summary or (
        content_text if content_text and len(content_text) > summary_length else None
    )
    feed = parent if mf2.has_type(parent, "h-feed") else None
    author = find_author(parsed, entry, feed, page.url, meta.rels.get("author", []), fetch_mf2)
    author = _complete(author, parsed, page, meta)
    rsvp = (mf2.text_of(mf2.first(entry, "rsvp")) or "").strip().lower()
    is_rsvp = relation == "in-reply-to" and rsvp in RSVP_VALUES
    # mf2 implies a url from an entry's only link, which for a short reply is the target:
    # the target is never the post's own url.
    url = [u for u in _urls(props.get("url", []), page.url) if _key(u) != wanted]
    syndication = _urls(props.get("syndication", []), page.url)
    if main:
        syndication += [u for u in _urls(meta.rels.get("syndication", []), page.url)
                        if u not in syndication]  # fmt: skip
    return MentionData(
        property="rsvp" if is_rsvp else relation,
        rsvp=rsvp if is_rsvp else None,
        post_type=post_type(entry),
        url=url[0] if url else page.url,
        name=None if implied else entry_name(entry, content_text),
        summary=summarize(summary, summary_length),
        content_html=content_html,
        content_text=content_text,
        author_name=author.name,
        author_url=author.url,
        author_photo=author.photo,
        published=iso_date(mf2.text_of(mf2.first(entry, "published")))
        or (iso_date(meta.published) if main else None),
        updated=iso_date(mf2.text_of(mf2.first(entry, "updated")))
        or (iso_date(meta.updated) if main else None),
        in_reply_to=_urls(props.get("in-reply-to", []), page.url),
        syndication=syndication,
        canonical=safe_url(meta.canonical) if main else None,
        site_name=meta.site_name,
        page_url=page.url,
    )


def _from_page(
    page: Page, meta: PageMeta, parsed: mf2.Parsed, tree: LexborHTMLParser, target: str
) -> MentionData:
    """A mention from a page without an entry that links: title, site name, excerpt."""
    excerpt = excerpt_around_link(tree, meta.base, target)
    author = _complete(None, parsed, page, meta)
    is_card = author.url is not None  # the page's h-card; a site name or host has no URL
    return MentionData(
        property="mention-of",
        post_type="article" if meta.title else "note",
        url=page.url,
        name=meta.title[:NAME_MAX] if meta.title else None,
        content_html=html.escape(excerpt, quote=False) if excerpt else None,
        content_text=excerpt,
        author_name=author.name,
        author_url=author.url if is_card else None,
        author_photo=author.photo if is_card else None,
        published=iso_date(meta.published),
        updated=iso_date(meta.updated),
        syndication=_urls(meta.rels.get("syndication", []), page.url),
        canonical=safe_url(meta.canonical),
        site_name=meta.site_name,
        microformats=False,
        page_url=page.url,
    )


def extract(
    page: Page,
    target: str,
    fetch_mf2: FetchMf2 | None = None,
    *,
    summary_length: int = SUMMARY_LENGTH,
) -> MentionData:
    """The post on `page` that links to `target`. Pure, unless `fetch_mf2` is given: the
    authorship algorithm then uses it to read an author page. Raises SourceGone for a page
    or entry that says it was deleted."""
    if not page.is_html:
        excerpt = text_excerpt(page.text, target) if page.media_type == "text/plain" else None
        return MentionData(
            url=page.url,
            post_type="note",
            content_html=html.escape(excerpt, quote=False) if excerpt else None,
            content_text=excerpt,
            author_name=_host(page.url),
            microformats=False,
            page_url=page.url,
        )
    meta = read_page(page.tree, page.url)
    if meta.gone:
        raise SourceGone("the source page says 410 Gone", status_code=410)
    # The whole page when needed; the outline works on a clone of the page's lexbor tree.
    parsed = mf2.parse(page.text, page.url, comments=False, tree=page.tree)
    entries = [(e, p) for e, p in mf2.walk(parsed["items"]) if mf2.has_type(e, "h-entry")]
    wanted = _key(target) or target
    entry, parent, relation = choose_entry(entries, wanted, meta.base)
    if entry is None or relation is None:
        return _from_page(page, meta, parsed, LexborHTMLParser(page.text), target)
    posts = _posts(entries)
    main = len(posts) == 1 and posts[0][0] is entry  # the page is this post's permalink
    return _from_entry(
        page, meta, parsed, (entry, parent, relation), main, fetch_mf2, summary_length, wanted
    )
