"""The author pages the authorship algorithm asks for: fetched by the worker, read in a sandbox
child of their own, remembered for an hour.

A source page is read in a sandbox child that never fetches: a slow author page would hold
one of the few child slots for its whole fetch and stall every other verification, and its
markup's CPU would be charged to the source page. So the child reports the author page it
wanted (steps.read), the worker fetches it here, a child reads it under its own budget,
and the named author it gives (if any) replaces the one the source page alone gave.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from pingsvc.errors import FetchError
from pingsvc.extract import mf2
from pingsvc.extract.authorship import Author, author_of_author_page
from pingsvc.extract.entry import MentionData
from pingsvc.fetch.client import Session, fetch
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox

log = logging.getLogger(__name__)

TTL = 3600.0  # an author's card changes rarely; a sender's many mentions share one fetch
FAILED_TTL = 600.0  # an unusable author page is not fetched again for every mention
_MAX_ENTRIES = 1000
_cache: dict[str, tuple[float, Author | None]] = {}
_lock = threading.Lock()


def with_author(data: MentionData, author: Author | None) -> MentionData:
    """`data` with the author page's author, when it names one."""
    if author is None:
        return data
    return replace(data, author_name=author.name, author_url=author.url, author_photo=author.photo)


def author_of(
    url: str,
    policy: FetchPolicy,
    session: Session,
    readers: sandbox.Pool,
    cpu_limit: float,
    cpu_per_mib: float,
) -> Author | None:
    """The named author of the author page at `url`, or None when it names none or can't be
    read (an author page never decides a verdict: the source page's own author stands)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(url)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        page = fetch(url, policy, session, check=False)
        budget = max(cpu_limit, cpu_per_mib * len(page.body) / 2**20)
        author: Author | None = readers.run(
            read_author_page, page, url, policy.max_depth,
            wall_limit=60 * budget, what=f"{page.media_type}, {len(page.body)} bytes",
            cpu_limit=budget, subject="the author page",
        )  # fmt: skip
        ttl = TTL
    except FetchError as exc:
        log.info("author page %s not usable: %s", url, exc.reason)
        author, ttl = None, FAILED_TTL
    except RuntimeError:  # a bug reading it (the child's traceback): still not the source's
        log.warning("reading author page %s failed", url, exc_info=True)
        author, ttl = None, FAILED_TTL
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[url] = (time.monotonic() + ttl, author)
    return author


def read_author_page(page: Page, url: str, max_depth: int) -> Author | None:
    """The named author of a fetched author page (run in a sandbox child)."""
    check_page(page, max_depth)
    if not page.is_html:
        return None
    try:
        return author_of_author_page(mf2.parse(page.text, page.url), url)
    except RecursionError:
        return None


def forget() -> None:
    """Drop every remembered author page (tests)."""
    with _lock:
        _cache.clear()
