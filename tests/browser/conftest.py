"""Browser fixtures: the service on a real HTTP server thread, Debian's Chromium driven by
Playwright, and blog pages (on another loopback port, so every read is cross-origin)."""

from __future__ import annotations

import html
import ipaddress
import itertools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from pingsvc import services
from tests.conftest import make_app
from tests.support.pageserver import PageServer
from tests.support.services import free_port

OUTPUT = Path(__file__).resolve().parents[1] / "output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces for the loopback-only rule: no name resolves, so even a broken widget
    # cannot reach a public host (the route guard below also refuses such requests).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@dataclass
class Live:
    """The running service: its app (for storing mentions) and its base URL."""

    app: Flask
    base: str


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, pages: PageServer) -> Iterator[Live]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "PINGSVC_VAR_DIR": str(tmp_path_factory.mktemp("widget") / "var"),
        "PINGSVC_BASE_URL": base,
        "PINGSVC_FETCH_ALLOW": pages.hostport,
        "PINGSVC_RATE_LIMIT_ENABLED": "false",
        "PINGSVC_LOG_LEVEL": "WARNING",
    }
    with pytest.MonkeyPatch.context() as env:  # the app reads the environment only here
        app = make_app(settings, env)
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(app, base)
    server.shutdown()
    services(app).db.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("Chromium is not installed: run `make browser` (Debian's chromium).")
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass
class Tab:
    """A browser page plus what it tried that it must not: off-loopback requests, errors."""

    page: Page
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_tab(browser: Browser, **context: Any) -> Iterator[Tab]:
    ctx = browser.new_context(
        viewport={"width": 900, "height": 900}, locale="en-US", timezone_id="UTC", **context
    )
    tab = Tab(ctx.new_page())

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http:", "https:")) and not _loopback(url):
            tab.refused.append(url)
            route.abort()
        else:
            route.continue_()

    ctx.route("**/*", guard)
    tab.page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    ctx.close()
    assert tab.refused == [], "the page tried to reach a non-loopback address"


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    yield from open_tab(browser)


@pytest.fixture
def dark_tab(browser: Browser) -> Iterator[Tab]:
    yield from open_tab(browser, color_scheme="dark")


_page_serial = itertools.count(1)


@pytest.fixture
def blog_page(pages: PageServer, live: Live) -> Callable[..., str]:
    """A blog post page on the page server carrying the widget's script tag with `attrs`."""

    def make(
        attrs: dict[str, str] | None = None,
        head: str = "",
        before: str = "",
        tag: str = "",
        query: str = "",
    ) -> str:
        data = "".join(f' {k}="{html.escape(v)}"' for k, v in (attrs or {}).items())
        script = tag or f'<script src="{live.base}/embed.js"{data} async></script>'
        body = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">{head}'
            "<title>A post</title></head><body><article><h1>A post</h1><p>Text.</p></article>"
            f"{before}{script}</body></html>"
        )
        return pages.add(f"/blog/{next(_page_serial)}/post.html{query}", body)

    return make


def rendered(page: Page, url: str, state: str = "ready", count: int = 1) -> None:
    """Open `url` and wait until `count` widgets have drawn themselves in `state`."""
    page.goto(url)
    page.wait_for_function(
        "([state, count]) => document.querySelectorAll(`pingsvc-mentions[data-state=${state}]`)"
        ".length >= count",
        arg=[state, count],
    )


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of the widget as a test artefact (tests/output/, not committed)."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path), full_page=True)
    return path
