"""Sending tests' parts: the author's site on the session page server (127.0.0.1), receivers
on page servers of their own loopback addresses (127.0.0.2, 127.0.0.3: other hosts, no DNS),
and the app and settings that may fetch all of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from pingsvc.db import services
from pingsvc.models import Site
from pingsvc.tokens import rotate
from tests.support.pageserver import PageServer

AUTHOR_HOST = "127.0.0.1"  # the registered site whose posts are sent for (the `pages` server)


@pytest.fixture(scope="session")
def far() -> Iterator[PageServer]:
    """A receiving host: its pages, and the endpoints they advertise."""
    server = PageServer("127.0.0.2").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def farther() -> Iterator[PageServer]:
    """A second receiving host."""
    server = PageServer("127.0.0.3").start()
    yield server
    server.stop()


def send_settings(
    settings: dict[str, str], pages: PageServer, *receivers: PageServer
) -> dict[str, str]:
    """`settings` that may fetch the author's site and the receivers, with quick retries."""
    allow = ",".join([pages.hostport, *(r.hostport for r in receivers)])
    return {
        **settings,
        "PINGSVC_FETCH_ALLOW": allow,
        "PINGSVC_SEND_BACKOFF": "0.2",
        "PINGSVC_SEND_MAX_TRIES": "3",
        # `pingsvc send --wait` gives up (and prints what is still queued) before a test's
        # subprocess time limit would hide that.
        "PINGSVC_SEND_WAIT": "150",
    }


def register_author_site(app: Flask) -> str:
    """Register the author's site (127.0.0.1) and return its API token."""
    with services(app).db.session() as session:
        site = Site(host=AUTHOR_HOST)
        session.add(site)
        token = rotate(site)
        session.commit()
    return token


def post_page(*links: str, title: str = "A post") -> str:
    """An h-entry whose e-content links to `links`."""
    anchors = " ".join(f'<a href="{link}">link {n}</a>' for n, link in enumerate(links))
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f'<article class="h-entry"><h1 class="p-name">{title}</h1>'
        f'<div class="e-content"><p>I read {anchors}.</p></div></article></body></html>'
    )


def target_page(endpoint: str | None = None, *, pingback: str | None = None) -> dict[str, object]:
    """The keyword arguments of PageServer.add for a target page advertising `endpoint`
    (webmention, in a Link header) or a pingback server (X-Pingback), or nothing."""
    headers: dict[str, str] = {}
    if endpoint:
        headers["Link"] = f'<{endpoint}>; rel="webmention"'
    if pingback:
        headers["X-Pingback"] = pingback
    return {"body": "<!doctype html><title>A target</title><p>Hello</p>", "headers": headers}


@pytest.fixture
def send_app(
    settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """The app on an embedded database, the author's site registered (its token in
    app.config["TEST_TOKEN"]), able to fetch the author's site and both receivers."""
    from tests.conftest import make_app

    app = make_app(send_settings(settings, pages, far, farther), monkeypatch)
    app.config["TEST_TOKEN"] = register_author_site(app)
    yield app
    services(app).db.dispose()


@pytest.fixture
def send_app_postgres(
    production_settings: dict[str, str],
    pages: PageServer,
    far: PageServer,
    farther: PageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """send_app on PostgreSQL (and Redis for the broker)."""
    from tests.conftest import make_app

    app = make_app(send_settings(production_settings, pages, far, farther), monkeypatch)
    app.config["TEST_TOKEN"] = register_author_site(app)
    yield app
    services(app).db.dispose()
