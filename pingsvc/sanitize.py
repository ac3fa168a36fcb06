"""The one place where HTML from a source page is made safe to show (nh3 allow-list)."""

from __future__ import annotations

from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "dd", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup",
    "time", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "time": {"datetime"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_IMAGE_SCHEMES = ("http://", "https://")


def _images_http_only(tag: str, attribute: str, value: str) -> str | None:
    # Relative sources are resolved later (url_relative); absolute ones must be http(s).
    head = value.split("/", 1)[0]
    if tag == "img" and attribute == "src" and ":" in head:
        return value if value.lower().startswith(_IMAGE_SCHEMES) else None
    return value


def clean_html(html: str, base_url: str) -> str:
    """Sanitize `html` for display: formatting tags only, http(s)/mailto links, absolute URLs."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "template",
            "svg",
            "math",
            "noscript",
            "textarea",
            "select",
        },
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_images_http_only,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        url_relative=lambda url: urljoin(base_url, url),
        strip_comments=True,
    ).strip()


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, else None: nothing else may reach href or src."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None
