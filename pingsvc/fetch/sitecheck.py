"""Does a site's page advertise this service? Fetches it through fetch.client and looks for
the webmention and pingback endpoints the way a sender discovers them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from selectolax.lexbor import LexborHTMLParser

from pingsvc.errors import FetchError
from pingsvc.fetch.client import fetch
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy


@dataclass(frozen=True)
class Endpoint:
    """What the page says for one rel: the URL found (or None) and whether it is ours."""

    rel: str
    expected: str
    found: str | None

    @property
    def ok(self) -> bool:
        return self.found == self.expected


@dataclass(frozen=True)
class CheckResult:
    url: str
    webmention: Endpoint | None = None
    pingback: Endpoint | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.webmention and self.webmention.ok and self.pingback and self.pingback.ok)


def _header_link(page: Page, rel: str) -> str | None:
    for link in requests.utils.parse_header_links(page.headers.get("Link", "") or ""):
        if rel in (link.get("rel") or "").split():
            return urljoin(page.url, link.get("url", ""))
    return None


def discover(page: Page, rel: str) -> str | None:
    """The endpoint a sender would use: the HTTP Link header first, then the first <link> or
    <a> with that rel (W3C Webmention discovery); X-Pingback for pingback."""
    found = _header_link(page, rel)
    if found is None and rel == "pingback" and page.headers.get("X-Pingback"):
        found = urljoin(page.url, page.headers["X-Pingback"].strip())
    if found is None and page.is_html:
        for node in LexborHTMLParser(page.text).css("link[rel], a[rel]"):
            if rel in (node.attributes.get("rel") or "").lower().split():
                href = node.attributes.get("href")
                if href is not None:
                    found = urljoin(page.url, href.strip())
                    break
    return found


def check_page(page: Page, base_url: str) -> CheckResult:
    """Compare what `page` advertises with this service's endpoints. Pure."""
    return CheckResult(
        url=page.url,
        webmention=Endpoint("webmention", f"{base_url}/webmention", discover(page, "webmention")),
        pingback=Endpoint("pingback", f"{base_url}/xmlrpc", discover(page, "pingback")),
    )


def check_site(url: str, base_url: str, policy: FetchPolicy) -> CheckResult:
    """Fetch `url` (safely) and check its tags; a fetch failure is reported, not raised."""
    try:
        page = fetch(url, policy)
    except FetchError as exc:
        return CheckResult(url=url, error=exc.reason.replace("the source", "the page"))
    return check_page(page, base_url)
