"""The embed widget: /embed.js, its no-JS HTML fragment /embed/mentions.html, and /demo."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
)

from pingsvc import demo
from pingsvc.api import jf2
from pingsvc.api import query as apiquery
from pingsvc.api.params import Query
from pingsvc.api.views import response_cache
from pingsvc.db import db_session
from pingsvc.errors import PingError
from pingsvc.sanitize import safe_url
from pingsvc.urls import normalize_url, target_key

bp = Blueprint("widget", __name__)

TYPES = tuple(jf2.PROPERTY_TYPES.values())  # reply, like, repost, bookmark, mention, rsvp
PROPERTIES = {kind: prop for prop, kind in jf2.PROPERTY_TYPES.items()}
PILE_TYPES = ("like", "repost")
LABELS = {
    "reply": ("reply", "replies"),
    "like": ("like", "likes"),
    "repost": ("repost", "reposts"),
    "bookmark": ("bookmark", "bookmarks"),
    "mention": ("mention", "mentions"),
    "rsvp": ("RSVP", "RSVPs"),
}
VERBS = {"reply": "replied", "mention": "mentioned this", "bookmark": "bookmarked this"}
RSVP_VERBS = {"yes": "is going", "no": "is not going", "maybe": "might go"}
RSVP_VERBS["interested"] = "is interested"
THEMES = ("light", "dark", "auto")
MAX_DEPTH = 4
EXCERPT = 400
FRAGMENT_MAX_PER_PAGE = 1000
SCRIPT_MAX_AGE = 3600
# The fragment runs no script at all, even when opened on its own or framed by a blog.
FRAGMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:"
# Part of the fragment cache's key: bump it when the fragment's markup changes.
FRAGMENT_VERSION = "fragment-2"


@dataclass
class FragmentQuery:
    """The fragment's parameters, checked: which posts, which types, which page, which look."""

    targets: list[str]
    types: list[str]
    sort_dir: str = "up"
    per_page: int = 100
    page: int = 0
    theme: str = "light"
    heading: str = "Mentions"

    @classmethod
    def from_args(cls, args: Any) -> FragmentQuery:
        raw = [t for t in args.getlist("target") + args.getlist("target[]") if t]
        if not raw:
            raise PingError("Give the post URL as ?target=URL.", code="missing_target")
        targets = list(dict.fromkeys(normalize_url(t, "target") for t in raw))
        types = [t for t in args.get("types", "").replace(",", " ").split() if t]
        unknown = sorted(set(types) - set(TYPES))
        if unknown:
            raise PingError(
                f"Unknown type {', '.join(unknown)}: types is a comma list of {', '.join(TYPES)}.",
                code="invalid_parameter",
            )
        sort_dir = args.get("sort-dir") or "up"
        if sort_dir not in ("up", "down"):
            raise PingError("sort-dir must be up or down.", code="invalid_parameter")
        theme = args.get("theme") or "light"
        if theme not in THEMES:
            raise PingError(f"theme must be one of {', '.join(THEMES)}.", code="invalid_parameter")
        heading = args.get("heading", "Mentions")
        if len(heading) > 200:
            raise PingError("heading must be at most 200 characters.", code="invalid_parameter")
        return cls(
            targets=targets,
            types=[t for t in TYPES if t in types] or list(TYPES),
            sort_dir=sort_dir,
            per_page=_int_arg(args, "per-page", 100, 1, FRAGMENT_MAX_PER_PAGE),
            page=_int_arg(args, "page", 0, 0, 10_000_000),
            theme=theme,
            heading=heading,
        )

    @property
    def keys(self) -> list[str]:
        return sorted({target_key(t) for t in self.targets})

    def api_query(self) -> Query:
        """The same request as /api/mentions.jf2 gets, so the fragment lists the same rows."""
        filtered = len(self.types) < len(TYPES)
        return Query(
            targets=tuple(self.targets),
            per_page=self.per_page,
            page=self.page,
            sort_dir=self.sort_dir,
            properties=tuple(self.properties) if filtered else (),
        )

    @property
    def properties(self) -> list[str]:
        return [PROPERTIES[t] for t in self.types]

    def link(self, page: int) -> str:
        """The absolute URL of another page of this same fragment."""
        params: list[tuple[str, str | int]] = [("target", t) for t in self.targets]
        if len(self.types) < len(TYPES):
            params.append(("types", ",".join(self.types)))
        params += [("sort-dir", self.sort_dir), ("per-page", self.per_page), ("page", page)]
        params += [("theme", self.theme), ("heading", self.heading)]
        return f"{current_app.config['BASE_URL']}/embed/mentions.html?{urlencode(params)}"


def _int_arg(args: Any, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise PingError(f"{name} must be a whole number.", code="invalid_parameter") from exc
    if not low <= value <= high:
        raise PingError(f"{name} must be between {low} and {high}.", code="invalid_parameter")
    return value


@dataclass
class Item:
    """One mention as the fragment shows it."""

    id: int
    type: str
    author_name: str
    author_url: str | None
    photo: str | None
    hue: int
    source: str | None
    text: str
    is_title: bool
    verb: str
    pingback: tuple[str, str] | None  # ("Pingback:", "Title | Site") for WordPress-style lines
    date: datetime | None
    replies: list[Item] = field(default_factory=list)
    # The archive's avatar in its larger size, for screens of twice the density.
    photo_2x: str | None = None


def hue(text: str) -> int:
    """The generated avatar's colour, the same one embed.js picks for the same name."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    return value % 360


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(entry: dict[str, Any]) -> datetime | None:
    for key in ("published", "wm-received"):
        try:
            return datetime.fromisoformat(_str(entry.get(key)))
        except ValueError:
            continue
    return None


def _excerpt(entry: dict[str, Any]) -> str:
    content = entry.get("content") or {}
    summary = entry.get("summary") or {}
    text = _str(content.get("text")) or _str(summary.get("value"))
    if len(text) > EXCERPT:
        text = text[:EXCERPT].rsplit(" ", 1)[0] + " …"
    return text


# How WordPress labels a linkback in its comment list (trackbacks come from its imports).
LINKBACK_LABELS = {"pingback": "Pingback:", "trackback": "Trackback:"}


def is_pingback(entry: dict[str, Any]) -> bool:
    """A page without microformats (it has a site name), a pingback or a trackback: shown as
    WordPress shows pingbacks, "Pingback: Title | Site"."""
    return entry.get("wm-property", "mention-of") == "mention-of" and bool(
        _str(entry.get("wm-site-name")) or entry.get("wm-protocol") in LINKBACK_LABELS
    )


def item(entry: dict[str, Any]) -> Item:
    """The display fields of one jf2 entry: author, text, verb, only http(s) links."""
    kind = jf2.PROPERTY_TYPES.get(entry.get("wm-property", ""), "mention")
    author = entry.get("author") or {}
    source = safe_url(entry.get("url")) or safe_url(entry.get("wm-source"))
    name = _str(entry.get("name"))
    text = _excerpt(entry)
    author_name = _str(author.get("name")) or (urlsplit(source).hostname if source else "") or "?"
    pingback = None
    if is_pingback(entry):
        site = _str(entry.get("wm-site-name"))
        title = f"{name} | {site}" if name and site and name != site else name or site
        label = LINKBACK_LABELS.get(entry.get("wm-protocol") or "", "Mention:")
        pingback, body = (label, title or author_name), text
    elif kind in ("reply", "rsvp"):
        body = text or name
    else:
        body = name or text
    rsvp = _str(entry.get("rsvp")).lower()
    verb = RSVP_VERBS.get(rsvp, rsvp) if kind == "rsvp" else VERBS.get(kind, "")
    return Item(
        id=int(entry["wm-id"]),
        type=kind,
        author_name=author_name,
        author_url=safe_url(author.get("url")),
        photo=_small(safe_url(author.get("photo"))),
        hue=hue(author_name),
        source=source,
        text=body,
        is_title=pingback is None and bool(name) and body == name,
        verb=verb,
        pingback=pingback,
        date=_date(entry),
        photo_2x=safe_url(author.get("photo")),
    )


def _small(photo: str | None) -> str | None:
    """The archive's 96 px avatar for its 192 px URL (the signature covers the key only)."""
    if photo and photo.endswith("-192.webp"):
        return photo.removesuffix("-192.webp") + "-96.webp"
    return photo


def thread(items: list[Item], parents: dict[int, int | None]) -> list[Item]:
    """Replies nested under the reply they answer (up to MAX_DEPTH levels); a reply whose
    parent is not on the page, or that sits in a parent cycle, stays at the top level."""
    by_id = {i.id: i for i in items}
    kids: dict[int, list[Item]] = {}
    roots: list[Item] = []
    for i in items:
        parent = parents.get(i.id)
        if parent is not None and parent != i.id and parent in by_id:
            kids.setdefault(parent, []).append(i)
        else:
            roots.append(i)
    done: set[int] = set()
    top: list[Item] = []

    def add(into: list[Item], node: Item, depth: int) -> None:
        if node.id in done:
            return
        done.add(node.id)
        into.append(node)
        target = node.replies if depth < MAX_DEPTH else into
        for child in kids.get(node.id, []):
            add(target, child, depth + 1)

    for node in roots + items:
        add(top, node, 0)
    return top


def type_counts(by_key: dict[str, Counter[str]]) -> dict[str, int]:
    """count.json's numbers per display type (RSVPs of every answer counted as one type)."""
    counts: Counter[str] = Counter()
    for per_type in by_key.values():
        for key, n in per_type.items():
            counts["rsvp" if key.startswith("rsvp") else key] += n
    return dict(counts)


def label(kind: str, n: int) -> str:
    one, other = LABELS[kind]
    return one if n == 1 else other


def _cached(response: Response, max_age: int) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


@bp.get("/embed.js")
def embed_js() -> Response:
    folder = current_app.static_folder or ""
    response = send_from_directory(folder, "embed.js", max_age=SCRIPT_MAX_AGE)
    response.mimetype = "text/javascript"
    return _cached(response, SCRIPT_MAX_AGE)


@bp.get("/embed/mentions.html")
def mentions_html() -> Response:
    query = FragmentQuery.from_args(request.args)
    session = db_session()
    scope = apiquery.Scope(target_keys=tuple(query.keys))  # no token: approved ones only
    # Cached like the read API: the key holds the rows' version stamp, so a changed mention
    # makes a new key and a stale fragment is never served.
    key = _fragment_key(query, apiquery.stamp(session, scope))
    cache = response_cache()
    body = cache.get(key)
    if body is None:
        body = _render_fragment(session, scope, query).encode("utf-8")
        cache.set(key, body)
    response = make_response(body)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = FRAGMENT_CSP
    _cached(response, current_app.config["API_MAX_AGE"])
    response.set_etag(key)
    response.make_conditional(request)  # a 304 when the reader's copy is current
    return response


def _fragment_key(query: FragmentQuery, stamp: apiquery.Stamp) -> str:
    """Everything the fragment's bytes depend on, hashed: parameters, base URL, rows' stamp."""
    material = {
        "v": FRAGMENT_VERSION,
        "base": current_app.config["BASE_URL"],
        "query": asdict(query),
        "stamp": stamp.token(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:40]


def _render_fragment(session: Any, scope: apiquery.Scope, query: FragmentQuery) -> str:
    found = apiquery.find(session, scope, query.api_query())
    entries = [
        jf2.entry(m, parent_visible=m.parent_id in found.visible_parents) for m in found.mentions
    ]
    items = [item(e) for e in entries]
    counts = type_counts(apiquery.counts(session, scope))
    shown = {kind: n for kind, n in counts.items() if kind in query.types}
    page_items = [i for i in items if i.type not in PILE_TYPES]
    parents = {int(e["wm-id"]): e.get("wm-parent-id") for e in entries}
    return render_template(
        "widget/mentions.html",
        q=query,
        counts=[(kind, shown[kind], label(kind, shown[kind])) for kind in TYPES if kind in shown],
        piles=[(kind, [i for i in items if i.type == kind]) for kind in PILE_TYPES],
        items=thread(page_items, parents),
        newer=query.link(query.page - 1) if query.page > 0 else None,
        more=query.link(query.page + 1)
        if (query.page + 1) * query.per_page < found.total
        else None,
    )


@bp.get("/demo")
def demo_page() -> str | tuple[str, int]:
    """The sample post; it only reads what `pingsvc demo seed` stored (a GET writes nothing)."""
    base = current_app.config["BASE_URL"]
    if not demo.is_seeded(db_session()):
        return render_template("demo_missing.html", command=demo.SEED_COMMAND), 404
    theme = request.args.get("theme", "light")
    return render_template(
        "demo.html",
        base=base,
        target=demo.TARGET,
        theme=theme if theme in THEMES else "light",
    )


@bp.get("/demo/avatar/<int:number>.svg")
def demo_avatar(number: int) -> Response:
    response = make_response(demo.avatar_svg(number))
    response.mimetype = "image/svg+xml"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return _cached(response, 86400)
