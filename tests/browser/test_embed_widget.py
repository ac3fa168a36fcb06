"""embed.js in a real browser (Debian's Chromium through Playwright) against the running
service: every type, threads, paging, the empty state, themes, options, and hostile data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from playwright.sync_api import Page, expect

from pingsvc import demo, services, widget
from pingsvc.avatars import image
from pingsvc.avatars import store as avatar_store
from pingsvc.avatars.links import AvatarLinks
from tests.browser.conftest import Live, Tab, rendered, screenshot
from tests.support.mentions import add_mention

BlogPage = Callable[..., str]


def shadow(page: Page, script: str, index: int = 0) -> Any:
    """Evaluate `script`, a function of a widget's shadow root, in the page."""
    return page.evaluate(
        f"(i) => ({script})(document.querySelectorAll('pingsvc-mentions')[i].shadowRoot)", index
    )


def article_ids(page: Page, selector: str = "article", index: int = 0) -> list[int]:
    return shadow(
        page, f"r => [...r.querySelectorAll({selector!r})].map(a => +a.dataset.id)", index
    )


def wait_for_images(page: Page) -> None:
    """Wait until every avatar in the widgets has loaded or fallen back to an initial."""
    images = "[...document.querySelectorAll('pingsvc-mentions')].flatMap(h =>"
    images += " [...h.shadowRoot.querySelectorAll('img')])"
    page.evaluate(f"() => {images}.forEach(i => i.scrollIntoView())")  # lazy ones load in view
    page.wait_for_function(f"() => {images}.every(i => i.complete)")
    page.evaluate("() => window.scrollTo(0, 0)")


def archived(app: Any, name: str) -> str:
    """An avatar in the app's archive (the initials of `name`), as verification leaves it."""
    key = image.initials_key(name)
    for size, data in image.initials(name).items():
        avatar_store.from_config(app.config).put(f"{key}-{size}.webp", data)
    return key


def test_widget_renders_every_type(tab: Tab, live: Live, blog_page: BlogPage) -> None:
    target = "https://blog.example/widget/types"
    photo = f"{live.base}/demo/avatar/3.svg"
    app = live.app
    reply = add_mention(
        app, target, author_name="Aaron", author_url="https://aaron.example/",
        author_photo=photo, avatar_key=archived(app, "Aaron"),
        content_text="Lovely post.\nSecond line.",
        source="https://aaron.example/reply", received_at=datetime(2026, 1, 2, 15, 30),
        published=None,
    )  # fmt: skip
    dana_key = archived(app, "Dana")
    add_mention(app, target, property="like-of", author_name="Dana",
                author_url="https://dana.example/", author_photo=photo,
                avatar_key=dana_key)  # fmt: skip
    add_mention(app, target, property="like-of", author_name="Émile")
    add_mention(app, target, property="repost-of", author_name="Ines")
    bookmark = add_mention(
        app, target, property="bookmark-of", name="Reading list", content_text=None
    )
    mention = add_mention(app, target, property="mention-of", name="Weekly links")
    rsvp = add_mention(app, target, property="rsvp", rsvp="yes", content_text="See you")
    pingback = add_mention(
        app, target, property="mention-of", protocol="pingback", name="Movie Review – Her",
        site_name="Fernby Films", content_text="[…] a link […]", author_name="Fernby Films",
        source="https://fernby.example/her",
    )  # fmt: skip
    page = tab.page
    rendered(page, blog_page({"data-target": target}))
    wait_for_images(page)

    counts = shadow(page, "r => [...r.querySelectorAll('.n li')].map(li => li.textContent)")
    assert counts == ["1 reply", "2 likes", "1 repost", "1 bookmark", "2 mentions", "1 RSVP"]
    expect(page.get_by_role("heading", name="Mentions", exact=True)).to_be_visible()
    likes = page.get_by_role("list", name="Liked by")
    expect(likes.get_by_role("link")).to_have_count(2)
    dana = likes.get_by_role("link", name="Dana")
    expect(dana).to_have_attribute("href", "https://dana.example/")
    dana_avatar = AvatarLinks.from_config(app.config).url(dana_key, 96)  # the archive's
    expect(dana.get_by_role("img", name="Dana")).to_have_attribute("src", dana_avatar)
    assert dana.get_by_role("img").evaluate("i => i.naturalWidth") > 0
    emile = likes.get_by_role("img", name="Émile")  # no photo: a generated initial
    expect(emile).to_have_text("É")
    assert emile.evaluate("e => e.style.getPropertyValue('--h')") == str(widget.hue("Émile"))
    expect(page.get_by_role("list", name="Reposted by").get_by_role("link")).to_have_count(1)
    assert sorted(article_ids(page)) == sorted([reply, bookmark, mention, rsvp, pingback])

    row = page.locator(f"pingsvc-mentions article[data-id='{reply}']")
    expect(row).to_contain_text("Aaron replied")
    assert row.locator(".tx").inner_text() == "Lovely post.\nSecond line."
    assert row.locator("img").get_attribute("alt") == ""  # the name is right beside it
    time = row.locator("time")
    expect(time).to_have_attribute("datetime", "2026-01-02T15:30:00.000Z")
    expect(time).to_have_attribute("title", re.compile(r"^January 2, 2026 at 3:30\sPM$"))
    assert time.inner_text().endswith("ago")  # relative; the exact date is in the title
    expect(row.locator("a.d")).to_have_attribute("href", "https://aaron.example/reply")
    expect(row.get_by_role("link", name="Aaron")).to_have_attribute(
        "href", "https://aaron.example/"
    )
    article = "pingsvc-mentions article[data-id='{}']".format
    expect(page.locator(article(rsvp))).to_contain_text("is going")
    expect(page.locator(article(bookmark)).locator(".ti")).to_have_text("Reading list")
    expect(page.locator(article(mention))).to_contain_text("mentioned this")
    line = page.locator(article(pingback)).locator("p").first
    expect(line).to_have_text("Pingback: Movie Review – Her | Fernby Films")
    expect(line.get_by_role("link")).to_have_attribute("href", "https://fernby.example/her")
    expect(page.locator(article(pingback)).locator("img, .av")).to_have_count(0)
    screenshot(page, "widget-types.png")
    assert tab.errors == []


def test_replies_are_threaded_under_their_parent(tab: Tab, live: Live, blog_page: BlogPage) -> None:
    target = "https://blog.example/widget/threads"
    app = live.app
    top = add_mention(app, target)
    child = add_mention(app, target, parent_id=top)
    grandchild = add_mention(app, target, parent_id=child)
    second = add_mention(app, target)
    sibling = add_mention(app, target, parent_id=top)
    chain = [add_mention(app, target)]
    for _ in range(6):
        chain.append(add_mention(app, target, parent_id=chain[-1]))
    rendered(tab.page, blog_page({"data-target": target}))
    page = tab.page

    assert article_ids(page, ".list > li > article") == [top, second, chain[0]]
    under_top = f"article[data-id='{top}'] + ol.sub"
    assert article_ids(page, f"{under_top} > li > article") == [child, sibling]
    assert article_ids(page, f"{under_top} > li > ol.sub > li > article") == [grandchild]
    depth = shadow(
        page,
        f"r => {{ let n = r.querySelector('article[data-id=\"{chain[-1]}\"]'), d = 0;"
        " while ((n = n.parentElement.closest('ol.sub'))) d++; return d; }",
    )
    assert depth == widget.MAX_DEPTH  # deeper replies line up at the last indent
    indent = shadow(page, "r => r.querySelector('ol.sub').getBoundingClientRect().left")
    assert indent > shadow(page, "r => r.querySelector('ol.list').getBoundingClientRect().left")
    screenshot(page, "widget-threads.png")
    assert tab.errors == []


def test_show_more_pages_through_the_api_with_the_keyboard(
    tab: Tab, live: Live, blog_page: BlogPage
) -> None:
    target = "https://blog.example/widget/paging"
    made = [add_mention(live.app, target) for _ in range(7)]
    page = tab.page
    rendered(page, blog_page({"data-target": target, "data-per-page": "3"}))
    assert article_ids(page) == made[:3]
    more = page.get_by_role("button", name="Show more")
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('pingsvc-mentions').shadowRoot"
        ".querySelectorAll('article').length === 6"
    )
    assert article_ids(page) == made[:6]
    focused = shadow(page, "r => r.activeElement && r.activeElement.dataset.id")
    assert focused == str(made[3])  # focus moves to the first new mention
    expect(page.get_by_role("status")).to_have_text("3 more loaded")
    page.get_by_role("button", name="Show more").press(" ")
    page.wait_for_function(
        "() => document.querySelector('pingsvc-mentions').shadowRoot"
        ".querySelectorAll('article').length === 7"
    )
    assert article_ids(page) == made
    expect(page.get_by_role("button", name="Show more")).to_have_count(0)  # count.json says 7
    assert tab.errors == []


def test_links_show_a_focus_ring_when_tabbed_to(tab: Tab, live: Live, blog_page: BlogPage) -> None:
    target = "https://blog.example/widget/focus"
    add_mention(live.app, target, author_url="https://focus.example/")
    page = tab.page
    rendered(page, blog_page({"data-target": target}))
    page.keyboard.press("Tab")  # the widget's first link: the author's name
    focused = shadow(page, "r => r.activeElement && r.activeElement.href")
    assert focused == "https://focus.example/"
    outline = shadow(page, "r => getComputedStyle(r.activeElement).outlineStyle")
    assert outline == "solid"


def test_a_post_without_mentions_gets_a_quiet_empty_state(tab: Tab, blog_page: BlogPage) -> None:
    page = tab.page
    rendered(page, blog_page({"data-target": "https://blog.example/widget/none"}), "empty")
    assert shadow(page, "r => r.querySelector('.q').textContent") == "No mentions yet."
    assert shadow(page, "r => r.querySelectorAll('ol, ul, button, img').length") == 0
    border = shadow(page, "r => getComputedStyle(r.querySelector('section')).borderTopColor")
    assert border == "rgba(0, 0, 0, 0)"
    hidden = blog_page({
        "data-target": "https://blog.example/widget/none",
        "data-strings": json.dumps({"empty": ""}),
    })  # fmt: skip
    rendered(page, hidden, "empty")
    assert shadow(page, "r => r.querySelector('section').hidden") is True
    assert tab.errors == []


def test_dark_theme_and_auto_follow_the_option_and_the_reader(
    tab: Tab, dark_tab: Tab, live: Live, blog_page: BlogPage
) -> None:
    target = "https://blog.example/widget/dark"
    add_mention(live.app, target, property="like-of", author_name="Dana")
    add_mention(live.app, target, content_text="Looks good in the dark.")
    background = "r => getComputedStyle(r.querySelector('section')).backgroundColor"
    page = tab.page
    rendered(page, blog_page({"data-target": target, "data-theme": "dark"}))
    assert shadow(page, background) == "rgb(13, 17, 23)"
    page.evaluate("document.body.style.cssText = 'background:#0d1117;color:#e6edf3'")
    screenshot(page, "widget-dark.png")
    rendered(page, blog_page({"data-target": target, "data-theme": "auto"}))
    assert shadow(page, background) == "rgb(255, 255, 255)"  # this reader prefers light
    rendered(dark_tab.page, blog_page({"data-target": target, "data-theme": "auto"}))
    assert shadow(dark_tab.page, background) == "rgb(13, 17, 23)"
    rendered(dark_tab.page, blog_page({"data-target": target}))
    assert shadow(dark_tab.page, background) == "rgb(255, 255, 255)"  # light unless asked
    themed = blog_page(
        {"data-target": target}, head="<style>pingsvc-mentions{--pingsvc-bg:#fdf6e3}</style>"
    )
    rendered(page, themed)
    assert shadow(page, background) == "rgb(253, 246, 227)"  # custom properties theme it
    assert tab.errors == [] and dark_tab.errors == []


def test_blog_css_cannot_reach_inside_the_widget(tab: Tab, live: Live, blog_page: BlogPage) -> None:
    target = "https://blog.example/widget/isolated"
    add_mention(live.app, target)
    hostile_css = "<style>p, a, li { display: none !important; color: red !important }</style>"
    page = tab.page
    rendered(page, blog_page({"data-target": target}, head=hostile_css))
    assert shadow(page, "r => getComputedStyle(r.querySelector('.tx')).display") == "block"


def test_options_choose_types_order_heading_and_language(
    tab: Tab, live: Live, blog_page: BlogPage
) -> None:
    target = "https://blog.example/widget/options"
    old = add_mention(live.app, target, received_at=datetime(2025, 6, 1), published=None)
    new = add_mention(live.app, target, received_at=datetime(2025, 7, 1), published=None)
    add_mention(live.app, target, property="like-of")
    page = tab.page
    strings = {"heading": "Reaktionen", "replied": "antwortete", "reply": "Antwort|Antworten"}
    rendered(
        page,
        blog_page({
            "data-target": target, "data-types": "reply", "data-sort": "down",
            "data-lang": "de", "data-strings": json.dumps(strings), "data-heading-level": "3",
        }),
    )  # fmt: skip
    assert article_ids(page) == [new, old]
    assert shadow(page, "r => r.querySelectorAll('.p').length") == 0  # no likes wanted
    expect(page.get_by_role("heading", level=3, name="Reaktionen")).to_be_visible()
    assert shadow(page, "r => r.querySelector('.n').textContent") == "2 Antworten"
    meta = shadow(page, "r => r.querySelector('.meta').textContent")
    assert " antwortete · " in meta
    assert "ago" not in meta  # the relative date is German too
    expect(page.locator("pingsvc-mentions time").first).to_have_attribute(
        "title", re.compile(r"^1\. Juli 2025")
    )
    rendered(page, blog_page({"data-target": target, "data-heading": "Webmentions"}))
    assert article_ids(page) == [old, new]  # oldest first by default, like comments
    expect(page.get_by_role("heading", level=2, name="Webmentions")).to_be_visible()
    assert tab.errors == []


def test_target_defaults_to_the_canonical_url_then_the_page_address(
    tab: Tab, live: Live, blog_page: BlogPage
) -> None:
    canonical = "https://blog.example/widget/canonical"
    mention = add_mention(live.app, canonical)
    page = tab.page
    rendered(page, blog_page(head=f'<link rel="canonical" href="{canonical}">'))
    assert article_ids(page) == [mention]
    url = blog_page(query="?utm_source=feed")
    here = add_mention(live.app, url.split("?")[0])  # stored for the page's own address
    rendered(page, url + "#comments")
    assert article_ids(page) == [here]  # query and fragment dropped


def test_module_script_fills_placeholders_and_replaces_their_fallback(
    tab: Tab, live: Live, blog_page: BlogPage
) -> None:
    first, second = "https://blog.example/widget/one", "https://blog.example/widget/two"
    a = add_mention(live.app, first)
    b = add_mention(live.app, second)
    boxes = (
        f'<div data-pingsvc-mentions data-target="{first}"><p class="ssr">Static list</p></div>'
        f'<div data-pingsvc-mentions data-target="{second}" data-heading="Second"></div>'
    )
    tag = f'<script type="module" src="{live.base}/embed.js"></script>'
    page = tab.page
    rendered(page, blog_page(before=boxes, tag=tag), count=2)
    assert article_ids(page, index=0) == [a] and article_ids(page, index=1) == [b]
    expect(page.locator(".ssr")).to_have_count(0)  # the server-side fallback gave way
    expect(page.get_by_role("heading", name="Second")).to_be_visible()
    assert tab.errors == []


def test_hostile_mention_executes_nothing(tab: Tab, live: Live, blog_page: BlogPage) -> None:
    target = "https://blog.example/widget/hostile"
    payload = (
        '"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
        "<svg onload=window.__pwned=3>"
    )
    app = live.app
    reply = add_mention(
        app, target, author_name=payload, author_url="javascript:window.__pwned=4",
        author_photo=f'{live.base}/nothing.png" onerror="window.__pwned=5',
        url="javascript:window.__pwned=6", source="javascript:window.__pwned=7",
        content_text=payload, name=payload, published=payload,
        content_html='<img src=x onerror="window.__pwned=8">',
    )  # fmt: skip
    add_mention(app, target, property="like-of", author_name=payload,
                author_photo="data:image/svg+xml,<svg onload=window.__pwned=9>",
                author_url=" JaVaScRiPt:window.__pwned=10")  # fmt: skip
    add_mention(app, target, property="repost-of", author_name="",
                author_photo="javascript:window.__pwned=11", url="data:text/html,x")  # fmt: skip
    add_mention(app, target, property="mention-of", protocol="pingback", name=payload,
                site_name=payload, url="vbscript:x", source="javascript:window.__pwned=12",
                content_text="</p><script>window.__pwned=13</script>")  # fmt: skip
    add_mention(app, target, parent_id=reply, rsvp=payload, property="rsvp",
                content_text="{{7*7}} ${7*7}")  # fmt: skip
    page = tab.page
    rendered(page, blog_page({"data-target": target}))
    page.wait_for_load_state("networkidle")
    wait_for_images(page)

    assert page.evaluate("window.__pwned") is None
    checks = shadow(
        page,
        """r => ({
          scripts: r.querySelectorAll('script, svg, iframe, object, embed').length,
          handlers: [...r.querySelectorAll('*')].flatMap(e => [...e.attributes])
            .filter(a => a.name.startsWith('on')).map(a => a.name),
          urls: [...r.querySelectorAll('[href], [src]')]
            .map(e => e.getAttribute('href') || e.getAttribute('src')),
          text: r.textContent,
        })""",
    )
    assert checks["scripts"] == 0 and checks["handlers"] == []
    assert checks["urls"] and all(u.startswith(("http://", "https://")) for u in checks["urls"])
    assert "<script>window.__pwned=1</script>" in checks["text"]  # shown as text, inert
    assert "{{7*7}} ${7*7}" in checks["text"]
    page.goto(f"{live.base}/embed/mentions.html?target={target}")  # the no-JS fragment too
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script, svg, [onerror], [onload]").count() == 0
    assert tab.errors == []


def test_demo_page_shows_every_type_from_the_real_api(tab: Tab, live: Live) -> None:
    with services(live.app).db.session() as session:
        # What `pingsvc demo seed` does, its avatars put in the archive.
        demo.seed(session, live.base, avatar_store.from_config(live.app.config))
    page = tab.page
    for theme in ("light", "dark"):
        rendered(page, f"{live.base}/demo?theme={theme}")
        wait_for_images(page)
        counts = shadow(page, "r => [...r.querySelectorAll('.n li')].map(l => l.dataset.type)")
        assert counts == ["reply", "like", "repost", "bookmark", "mention", "rsvp"]
        expect(page.get_by_role("heading", name="Responses")).to_be_visible()
        pingbacks = page.locator("pingsvc-mentions li.pb p").first
        expect(pingbacks).to_have_text("Pingback: Movie Review – Her | Fernby Films")
        assert shadow(page, "r => r.querySelectorAll('ol.sub ol.sub article').length") == 1
        broken = shadow(
            page, "r => [...r.querySelectorAll('img')].filter(i => !i.naturalWidth).map(i => i.src)"
        )
        assert broken == []  # every demo avatar is served locally
        screenshot(page, f"demo-{theme}.png")
    assert demo.TARGET in page.content()
    assert tab.errors == []
