"""Vouch (indieweb.org/Vouch), receiver side: a mention from a domain the site never approved
is approved when its vouch URL is a page on a domain the owner trusts (the site itself, or
one approved before) that links to the source's domain. The page is fetched through the
guard and read in the parse sandbox; whether it counts is told in words (`Vouched.note`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pingsvc.errors import FetchError
from pingsvc.fetch.client import Session, fetch
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox
from pingsvc.urls import host_of


@dataclass(frozen=True)
class Vouched:
    ok: bool
    note: str


def _on_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def links_to_domain(page: Page, domain: str, max_depth: int) -> bool:
    """Whether the page has a link (<a href>) to `domain` or one of its subdomains (pure;
    run in a sandbox child)."""
    check_page(page, max_depth)
    if not page.is_html:
        return False
    for node in page.tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        try:
            url = urljoin(page.url, href)
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and _on_domain((parts.hostname or "").lower(), domain):
            return True
    return False


def check(
    vouch: str,
    source: str,
    trusted: bool,
    policy: FetchPolicy,
    session: Session,
    readers: sandbox.Pool,
) -> Vouched:
    """Whether `vouch` vouches for `source`; `trusted`: whether the vouch's domain is one the
    site's owner trusts (read from the database by the caller). An untrusted vouch is not
    fetched at all."""
    vouch_host = host_of(vouch)
    if not trusted:
        return Vouched(False, f"the vouch is on {vouch_host}, a domain this site never approved")
    try:
        page = fetch(vouch, policy, session, check=False)
        linked = readers.run(
            links_to_domain, page, host_of(source), policy.max_depth,
            wall_limit=60.0, what=f"{page.media_type}, {len(page.body)} bytes",
            subject="the vouch page",
        )  # fmt: skip
    except FetchError as exc:
        reason = exc.about("the vouch page").reason
        return Vouched(False, f"the vouch page could not be read ({reason})")
    if not linked:
        return Vouched(False, f"the vouch page does not link to {host_of(source)}")
    return Vouched(True, f"vouched for by {vouch} (on {vouch_host}, approved before)")
