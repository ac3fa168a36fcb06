"""Output safety: what a hostile source page says reaches the API, feeds and widget only
sanitized or escaped, `javascript:` (in any spelling) never reaches an href or src, and the
public API shows approved mentions only."""

from __future__ import annotations

import contextlib
import html
import json
import re
from typing import Any

import pytest
from flask import Flask
from selectolax.lexbor import LexborHTMLParser

from pingsvc import services
from pingsvc.models import STATES, Mention, Site
from pingsvc.sanitize import clean_html, safe_url
from tests.conftest import TARGET
from tests.security.conftest import send_and_verify
from tests.support.pageserver import PageServer

HOSTILE = f"""<!doctype html><html><head><title>x</title>
<link rel="canonical" href="javascript:alert('canonical')">
<script>alert('head')</script></head><body>
<article class="h-entry">
  <a class="u-url" href="javascript:alert('url')">permalink</a>
  <a class="u-syndication" href="JaVaScRiPt:alert('syndication')">elsewhere</a>
  <a class="u-syndication" href="https://social.example/@eve/1">copy</a>
  <div class="p-author h-card">
    <a class="p-name u-url" href=" java&#x09;script:alert('author')">Eve<script>x</script></a>
    <img class="u-photo" src="javascript:alert('photo')" alt="">
  </div>
  <h1 class="p-name">Hello <img src=x onerror="alert('name')"></h1>
  <div class="e-content">
    <p>Reply to <a class="u-in-reply-to" href="{TARGET}">the post</a>.</p>
    <a href="javascript:alert('content')">click</a>
    <a href="&#106;avascript:alert('entity')">entity</a>
    <a href="vbscript:msgbox('vb')">vb</a>
    <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
    <img src="javascript:alert('img')" onerror="alert('onerror')">
    <img src="data:image/svg+xml,<svg onload=alert(1)>">
    <svg><script>alert('svg')</script></svg>
    <iframe src="https://evil.example/"></iframe>
    <form action="https://evil.example/"><input name=q></form>
    <p style="background:url(javascript:alert('style'))" onclick="alert('click')">styled</p>
    <object data="https://evil.example/x.swf"></object>
    <math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph>
    </table></mtext></math>
    <noscript><p title="</noscript><img src=x onerror=alert('noscript')>"></p></noscript>
  </div>
</article></body></html>"""

DANGEROUS = [
    re.compile(r"javascript:", re.I),
    re.compile(r"vbscript:", re.I),
    re.compile(r"data:text/html", re.I),
    re.compile(r"<\s*(script|iframe|object|embed|form|svg|math|style)\b", re.I),
    re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    re.compile(r"<[^>]+\sstyle\s*=", re.I),
]


_ACTIVE = "script, iframe, object, embed, form, svg, math, noscript, base, meta[http-equiv]"
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "cite", "xlink:href"}


def _unsafe_html(text: str) -> list[str]:
    """Active things in an HTML page pingsvc renders: elements that run or submit, event
    handlers, URLs that are not http(s) or pingsvc's own, styles other than the widget's."""
    tree = LexborHTMLParser(text)
    problems = [f"<{node.tag}>" for node in tree.css(_ACTIVE)]
    for style in tree.css("style"):  # pingsvc's own stylesheet; nothing from a page
        problems += _unsafe_fragments(style.text()) + (["alert"] if "alert" in style.text() else [])
    for node in tree.root.traverse() if tree.root else []:
        for name, value in node.attributes.items():
            value = (value or "").strip()
            if name.startswith("on"):
                problems.append(f"{node.tag}[{name}]")
            elif name in _URL_ATTRIBUTES and value and not re.match(r"(https?:|/|#|\?)", value):
                problems.append(f"{node.tag}[{name}={value[:40]}]")
            elif name == "style" and not re.fullmatch(r"--h:\d+", value):
                problems.append(f"{node.tag}[style={value[:40]}]")
    return problems


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _unsafe_fragments(text: str) -> list[str]:
    """Dangerous things in `text`, looking through JSON escapes, entities and smuggled spaces."""
    with contextlib.suppress(ValueError):  # JSON: check each string as a client reads it
        text = "\n".join(_strings(json.loads(text)))
    seen = html.unescape(html.unescape(text))
    squeezed = re.sub(r"[\x00-\x20]+", "", seen)
    return [p.pattern for p in DANGEROUS if p.search(seen) or p.search(squeezed)]


@pytest.fixture
def hostile_mention(app: Flask, pages: PageServer) -> dict[str, Any]:
    status = send_and_verify(app, pages.add("/safety/hostile", HOSTILE))
    assert status["status"] == "approved", status
    return status


@pytest.mark.parametrize(
    "path",
    [
        "/api/mentions.jf2?target={t}",
        "/api/mentions.json?target={t}",
        "/api/mentions.html?target={t}",
        "/api/mentions.atom?target={t}",
        "/embed/mentions.html?target={t}",
    ],
)
def test_a_hostile_page_reaches_no_output_unsafe(
    app: Flask, hostile_mention: dict[str, Any], path: str
) -> None:
    answer = app.test_client().get(path.format(t=TARGET))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Reply to" in text or "Eve" in text  # the mention is there...
    if answer.mimetype == "text/html":  # ...and nothing it could run
        assert _unsafe_html(text) == []
    else:
        assert _unsafe_fragments(text) == []


def test_the_jf2_entry_keeps_the_safe_parts(app: Flask, hostile_mention: dict[str, Any]) -> None:
    feed = app.test_client().get(f"/api/mentions.jf2?target={TARGET}").get_json()
    (child,) = feed["children"]
    assert child["author"]["name"].startswith("Eve")
    assert child["author"]["url"] in ("", None) or child["author"]["url"].startswith("http")
    assert child["author"]["photo"] in ("", None)
    assert child["url"].startswith("http")
    assert child.get("syndication") == ["https://social.example/@eve/1"]
    assert "canonical" not in json.dumps(child.get("rels", {}))
    assert '<a href="https://blog.example/post/1"' in child["content"]["html"]
    assert "click" in child["content"]["html"]  # the link text stays, its script does not
    assert "javascript" not in child["content"]["html"].lower()


def _stored(app: Flask, **fields: Any) -> int:
    with services(app).db.session() as session:
        site = session.query(Site).one()
        mention = Mention(
            site_id=site.id, target=TARGET, target_key="blog.example/post/1", **fields
        )
        session.add(mention)
        session.commit()
        return int(mention.id)


def test_urls_stored_before_sanitizing_existed_are_still_not_served_as_links(app: Flask) -> None:
    """Defence in depth: the jf2 layer checks URLs again, whatever the row holds."""
    _stored(
        app,
        source="https://eve.example/old",
        status="approved",
        url="javascript:alert('url')",
        author_name="Eve",
        author_url="JAVASCRIPT:alert('author')",
        author_photo=" javascript:alert('photo')",
    )
    text = app.test_client().get(f"/api/mentions.jf2?target={TARGET}").get_data(as_text=True)
    assert _unsafe_fragments(text) == []


def test_the_public_api_shows_only_approved_mentions(app: Flask) -> None:
    for state in STATES:
        _stored(app, source=f"https://{state}.example/post", status=state,
                author_name=f"author-{state}", content_text=f"text-{state}")  # fmt: skip
    client = app.test_client()
    feed = client.get(f"/api/mentions.jf2?target={TARGET}").get_json()
    assert [c["wm-source"] for c in feed["children"]] == ["https://approved.example/post"]
    assert client.get(f"/api/count.json?target={TARGET}").get_json()["count"] == 1
    for path in ("/api/mentions.html", "/api/mentions.atom", "/embed/mentions.html"):
        text = client.get(f"{path}?target={TARGET}").get_data(as_text=True)
        assert "author-approved" in text
        for hidden in ("pending", "held", "rejected", "deleted"):
            assert f"author-{hidden}" not in text, (path, hidden)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "vbscript:x",
     "data:text/html,x", "//evil.example/", "/relative", "mailto:a@b.example", ""],
)  # fmt: skip
def test_safe_url_lets_only_absolute_http_through(url: str) -> None:
    assert safe_url(url) is None


def test_clean_html_keeps_formatting_and_drops_everything_active() -> None:
    cleaned = clean_html(
        '<p onclick="x()">Hi <b>there</b> <a href="javascript:x()">j</a> '
        '<a href="/p">rel</a><img src="javascript:x()"><script>x()</script></p>',
        "https://eve.example/post",
    )
    assert _unsafe_fragments(cleaned) == []
    assert "<b>there</b>" in cleaned
    assert 'href="https://eve.example/p"' in cleaned


def test_the_safety_checks_catch_what_they_look_for() -> None:
    """The control for the checks above: each would notice an unsafe output."""
    assert _unsafe_fragments('{"url": "java\\tscript:alert(1)"}')
    assert _unsafe_fragments("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert _unsafe_fragments('<img src=x onerror="alert(1)">')
    assert _unsafe_html('<p onclick="x()">a</p>')
    assert _unsafe_html('<a href="javascript:x()">a</a>')
    assert _unsafe_html('<a href=" JAVASCRIPT:x()">a</a>')
    assert _unsafe_html("<svg><script>x()</script></svg>")
    assert _unsafe_html('<p style="background:url(x)">a</p>')
    assert _unsafe_html("<style>body{background:url(javascript:alert(1))}</style>")
