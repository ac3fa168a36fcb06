"""Does a site's page advertise this service? Fetches it through fetch.client and looks for
the webmention and pingback endpoints the way pingsvc's sender discovers them (fetch.discovery)."""

from __future__ import annotations

from dataclasses import dataclass

from pingsvc.errors import FetchError
from pingsvc.fetch.client import fetch
from pingsvc.fetch.discovery import pingback_endpoint, webmention_endpoint
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


def check_page(page: Page, base_url: str) -> CheckResult:
    """Compare what `page` advertises with this service's endpoints. Pure."""
    return CheckResult(
        url=page.url,
        webmention=Endpoint("webmention", f"{base_url}/webmention", webmention_endpoint(page)),
        pingback=Endpoint("pingback", f"{base_url}/xmlrpc", pingback_endpoint(page)),
    )


def check_site(url: str, base_url: str, policy: FetchPolicy) -> CheckResult:
    """Fetch `url` (safely) and check its tags; a fetch failure is reported, not raised."""
    try:
        page = fetch(url, policy)
    except FetchError as exc:
        return CheckResult(url=url, error=exc.reason.replace("the source", "the page"))
    return check_page(page, base_url)
