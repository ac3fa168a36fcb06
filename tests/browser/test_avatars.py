"""The avatar proxy in a real browser: a mention verified from a page on 127.0.0.1 whose
author photo lives on that sender's host; the widget shows the archive's copy, and the
page makes no request to any host but pingsvc's (the blog page itself aside)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Request, expect

from pingsvc import services
from pingsvc.avatars.links import AvatarLinks
from pingsvc.models import Mention
from pingsvc.pipeline import avatars as archive
from pingsvc.pipeline import steps
from pingsvc.receive.accept import accept
from tests.avatars.helpers import png
from tests.browser.conftest import Live, Tab, rendered
from tests.support.mentions import site_id
from tests.support.pageserver import PageServer

TARGET = "https://blog.example/widget/avatars"
REPLY = """<article class="h-entry">
<a class="p-author h-card" href="https://sender.example/"><img class="u-photo" src="{photo}"
alt=""><span class="p-name">Sam Sender</span></a>
<a class="u-in-reply-to" href="{target}">re</a><p class="e-content">Proxied!</p></article>"""


def test_the_widget_shows_the_proxied_avatar_and_asks_no_other_host(
    tab: Tab, live: Live, pages: PageServer, blog_page: Callable[..., str]
) -> None:
    archive.forget()
    photo = pages.add("/sender/photo.png", png(400, 300), headers={"Content-Type": "image/png"})
    source = pages.add("/sender/reply", REPLY.format(photo=photo, target=TARGET))
    shared = services(live.app)
    site_id(live.app, "blog.example")
    found = accept(shared.db, source, TARGET, "webmention", lambda _id: None)
    steps.process_mention(shared.db, found.mention_id, shared.pipeline)
    with shared.db.session() as session:
        mention = session.get(Mention, found.mention_id)
        assert mention is not None and mention.status == "approved" and mention.avatar_key
        key = mention.avatar_key

    post = blog_page({"data-target": TARGET})
    asked: list[str] = []
    page = tab.page

    def note(request: Request) -> None:
        asked.append(request.url)

    page.on("request", note)
    rendered(page, post)
    links = AvatarLinks.from_config(live.app.config)
    expect(page.locator("pingsvc-mentions article img")).to_have_attribute(
        "src", links.url(key, 96)
    )
    page.wait_for_function(
        "() => [...document.querySelector('pingsvc-mentions').shadowRoot"
        ".querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    width = page.locator("pingsvc-mentions article img").evaluate("i => i.naturalWidth")
    assert width in (96, 192)  # the archive's copy, not the 400 px original

    pingsvc = urlsplit(live.base).netloc
    others = [u for u in asked if u != post and urlsplit(u).netloc != pingsvc]
    assert others == [], f"the page asked hosts other than pingsvc's: {others}"
    assert any("/avatar/" in u for u in asked)  # the avatar came from the proxy
    assert photo not in asked
