"""Who wrote the post: the IndieWeb authorship algorithm, then the fallbacks a reader expects.

https://indieweb.org/authorship-spec, steps numbered as there. mf2util.find_author implements
the same algorithm but is replaced here because (mf2util 0.5.2):
- step 7.4 looks for the h-card on the fetched author page instead of the entry's own page, so
  `<a class="u-author" href="/">` next to the page's own h-card finds nobody;
- it compares URLs as exact strings, so `https://a.example` and `https://a.example/` differ;
- an h-card without a name ends the search with a nameless author.
mf2util's representative_hcard and parse_author are used as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2util

from pingsvc.extract import mf2
from pingsvc.sanitize import safe_url
from pingsvc.urls import target_key

log = logging.getLogger(__name__)

FetchMf2 = Callable[[str], dict[str, Any]]
NAME_MAX = 200


@dataclass
class Author:
    name: str | None = None
    url: str | None = None
    photo: str | None = None


def same_url(a: str | None, b: str | None) -> bool:
    """Two URLs name the same page: scheme, default port, trailing slash and fragment aside."""
    return bool(a and b) and target_key(a.strip()) == target_key(b.strip())  # type: ignore[union-attr]


def _clean_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    name = " ".join(value.split())
    return name[:NAME_MAX] or None


def _absolute(value: Any, base: str) -> str | None:
    if isinstance(value, dict):  # mf2py gives {"value", "alt"} for photos with alt text
        value = value.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    url = safe_url(urljoin(base, value.strip()))
    return url if url and len(url) <= 2048 else None


def card_author(card: Any, base: str) -> Author:
    """Name, url and photo of an h-card or of a plain author value (name or URL)."""
    found = mf2util.parse_author(card) if card else {}
    return Author(
        name=_clean_name(found.get("name")),
        url=_absolute(found.get("url"), base),
        photo=_absolute(found.get("photo"), base),
    )


def _cards(parsed: mf2.Parsed) -> list[mf2.Item]:
    """Every h-card on the page, nested ones (comment authors) included."""
    return mf2util.find_all_entries(mf2.whole(parsed), ["h-card"], include_properties=True)


def _card_on_author_page(parsed: mf2.Parsed, author_page: str) -> mf2.Item | None:
    """Steps 7.2 and 7.3: the author page's h-card with url == uid == the page, or with a url
    that is also one of the page's rel=me links."""
    cards = _cards(parsed)
    for card in cards:
        props = card.get("properties", {})
        urls, uids = props.get("url", []), props.get("uid", [])
        if any(same_url(u, author_page) for u in urls) and any(
            same_url(u, author_page) for u in uids
        ):
            return card
    rel_me = parsed.get("rels", {}).get("me", [])
    for card in cards:
        urls = card.get("properties", {}).get("url", [])
        if any(same_url(u, me) for u in urls for me in rel_me):
            return card
    return None


def _card_with_url(parsed: mf2.Parsed, url: str) -> mf2.Item | None:
    """Step 7.4: an h-card on the entry's own page whose url is the author page."""
    for card in _cards(parsed):
        if any(same_url(u, url) for u in card.get("properties", {}).get("url", [])):
            return card
    return None


def author_of_author_page(parsed: mf2.Parsed, author_page: str) -> Author | None:
    """Steps 7.1-7.3 on a fetched author page (its mf2): the named author of its
    representative h-card, or None when it has none."""
    return _named(_card_on_author_page(parsed, author_page), author_page)


def _named(card: mf2.Item | None, author_page: str) -> Author | None:
    """The author an h-card names, its url defaulting to the author page; None if nameless."""
    if card is None:
        return None
    author = card_author(card, author_page)
    author.url = author.url or author_page
    return author if author.name else None


def _fetched_author(author_page: str, fetch_mf2: FetchMf2 | None) -> Author | None:
    if fetch_mf2 is None:
        return None
    try:
        parsed = fetch_mf2(author_page)
    except Exception as exc:  # noqa: BLE001 - an unreadable author page just means step 7.4
        log.info("author page %s not usable: %s", author_page, exc)
        return None
    return author_of_author_page(parsed, author_page)


def find_author(
    parsed: mf2.Parsed,
    entry: mf2.Item,
    feed: mf2.Item | None,
    page_url: str,
    rel_author: list[str],
    fetch_mf2: FetchMf2 | None = None,
) -> Author | None:
    """The entry's author by the authorship algorithm, or None when it finds none.

    `rel_author` is the page's rel=author links; `fetch_mf2(url)` reads an author page (the
    pipeline's is cached and goes through fetch.client). Without it, steps 7.1-7.3 are skipped.
    """
    value = mf2.first(entry, "author")  # step 3
    if value is None and feed is not None:
        value = mf2.first(feed, "author")  # step 4
    author_page: str | None = None
    if isinstance(value, dict):
        author = card_author(value, page_url)
        if author.name:  # 5.1
            return author
        author_page = author.url  # a nameless card: its url is the author page (extension)
    elif isinstance(value, str) and value.strip():
        url = _absolute(value, page_url) if "://" in value or value.startswith("/") else None
        if url is None:
            return Author(name=_clean_name(value))  # 5.3: the value is the name
        author_page = url  # 5.2
    if author_page is None and rel_author:
        author_page = _absolute(rel_author[0], page_url)  # 6.1
    if author_page is None:
        return None
    # 7.1-7.3 on the fetched author page, else 7.4 on this page; else only the url is known.
    return (
        _fetched_author(author_page, fetch_mf2)
        or _named(_card_with_url(parsed, author_page), author_page)
        or Author(url=author_page)
    )


def page_author(parsed: mf2.Parsed, page_url: str) -> Author | None:
    """The page's own h-card when the algorithm finds nobody (an extension: a Jekyll post with
    a site-wide h-card in its header is plainly by that person).

    The representative h-card first (mf2util), else the page's only h-card on its own host.
    """
    card = mf2util.representative_hcard(mf2.whole(parsed), page_url)
    if card is None:
        host = urlsplit(page_url).netloc
        local = [
            c
            for c in _cards(parsed)
            if any(
                isinstance(u, str) and urlsplit(u).netloc == host
                for u in c.get("properties", {}).get("url", [])
            )
        ]
        card = local[0] if len(local) == 1 else None
    if card is None:
        return None
    author = card_author(card, page_url)
    return author if author.name else None
