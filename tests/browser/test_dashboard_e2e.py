"""The author's whole day in a real browser against the real service (`pingsvc serve`:
granian plus a Celery worker): log in, add a site, hold everything, receive a webmention from
a page on 127.0.0.1, see it held, approve it, and see it in the widget on the demo page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from pingsvc import demo, services
from tests.browser.conftest import Tab, rendered, screenshot
from tests.conftest import make_app
from tests.support.dashboard import PASSWORD, add_account
from tests.support.pageserver import PageServer
from tests.support.services import Process, start_serve, wait_for

pytestmark = pytest.mark.integration

REPLY = f"""<!doctype html><html><head><title>Re: the demo post</title></head><body>
<article class="h-entry"><a class="p-author h-card" href="/">Wren Browser</a>
<p>In reply to <a class="u-in-reply-to" href="{demo.TARGET}">the demo post</a></p>
<div class="e-content">Seen held, approved, then shown.</div></article></body></html>"""


@pytest.fixture
def service(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """The whole service on its own port, on a fresh database with one account in it."""
    app = make_app(settings, monkeypatch)
    add_account(app, "author@example.com")
    services(app).db.dispose()
    proc: Process | None = None
    try:
        proc, base = start_serve(settings, tmp_path / "serve.log")
        yield base
    finally:
        if proc is not None:
            proc.stop()


def _reload_until(page: Page, url: str, text: str) -> bool:
    def shows() -> bool:
        page.goto(url)
        return text in page.content()

    return wait_for(shows, 60, 0.5)


def test_log_in_add_a_site_hold_approve_and_see_it_in_the_widget(
    service: str, tab: Tab, pages: PageServer
) -> None:
    page = tab.page
    page.goto(f"{service}/dashboard/")
    expect(page).to_have_url(f"{service}/login?next=/dashboard/")
    page.get_by_label("E-mail").fill("author@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.get_by_role("link", name="Sites").click()
    page.get_by_label("Your blog's host").fill(demo.HOST)
    page.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("heading", name=demo.HOST)).to_be_visible()
    expect(page.locator("#link-tags")).to_have_text(
        f'<link rel="webmention" href="{service}/webmention">\n'
        f'<link rel="pingback" href="{service}/xmlrpc">\n'
    )
    expect(page.locator("#widget-snippet")).to_have_text(
        f'<script src="{service}/embed.js" data-target="POST_URL" async></script>'
    )
    page.get_by_label("hold every mention for review").check()
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".flash")).to_have_text("Policy: hold every mention for review.")
    screenshot(page, "dashboard-e2e-site.png")

    source = pages.add("/e2e/reply.html", REPLY)
    sent = requests.post(
        f"{service}/webmention", data={"source": source, "target": demo.TARGET}, timeout=10
    )
    assert sent.status_code == 201, sent.text

    assert _reload_until(page, f"{service}/dashboard/inbox?state=held", "Wren Browser"), (
        "the worker never held the mention"
    )
    row = page.locator("tr", has_text="Wren Browser")
    expect(row.locator(".state")).to_have_text("held")
    screenshot(page, "dashboard-e2e-inbox.png")
    expect(row).to_contain_text("Seen held, approved, then shown.")
    page.get_by_label("select all").check()  # dashboard.js ticks every row
    expect(row.get_by_role("checkbox")).to_be_checked()
    page.locator(".bulkbar").get_by_role("button", name="approve").click()
    expect(page.locator(".flash")).to_have_text("1 mention approved.")

    page.goto(f"{service}/dashboard/inbox?state=approved")
    expect(page.locator("tr", has_text="Wren Browser").locator(".state")).to_have_text("approved")
    page.goto(f"{service}/dashboard/post?target={demo.TARGET}")
    expect(page.locator(".preview")).to_contain_text("Seen held, approved, then shown.")
    page.goto(f"{service}/dashboard/")
    expect(page.locator(".chart rect")).to_have_count(30)
    screenshot(page, "dashboard-e2e-overview.png")

    rendered(page, f"{service}/demo")
    widget = page.locator("pingsvc-mentions")
    expect(widget).to_contain_text("Wren Browser")
    expect(widget).to_contain_text("Seen held, approved, then shown.")
    screenshot(page, "dashboard-e2e-demo.png")
    assert tab.errors == []
