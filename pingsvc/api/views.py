"""The public read API, answering webmention.io's requests with webmention.io's shapes:
/api/mentions.jf2, .json (and /api/mentions, /api/links), .atom, .html, /api/count(.json),
the change feed /api/changes.json, and its OpenAPI description. Views parse, resolve who may
see what, then answer from the response cache or build the document; conditional GETs are
answered before any of that work.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session
from werkzeug.http import http_date

from pingsvc.api import cache as apicache
from pingsvc.api import changes, feeds, jf2, openapi
from pingsvc.api import params as apiparams
from pingsvc.api import query as apiquery
from pingsvc.api.params import Query
from pingsvc.api.query import Scope, Stamp
from pingsvc.db import db_session
from pingsvc.errors import PingError
from pingsvc.http_errors import json_error
from pingsvc.models import utcnow
from pingsvc.urls import target_key

bp = Blueprint("api", __name__, url_prefix="/api")

# Bump when a document's shape changes, so cached bodies of the old shape are never served.
REPRESENTATION = "2"
MIMETYPES = {
    "jf2": "application/json",
    "json": "application/json",
    "count": "application/json",
    "atom": "application/atom+xml",
    "html": "text/html",
}
_CACHE = "pingsvc.api_cache"

Render = Callable[[Session, Scope, Query, Stamp], bytes]


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.extensions[_CACHE] = apicache.from_config(dict(state.app.config))


def response_cache(app: Flask | None = None) -> apicache.ResponseCache:
    return (app or current_app).extensions[_CACHE]  # type: ignore[no-any-return]


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _since_text(query: Query) -> str | None:
    if query.since is None:
        return None
    if query.since.whole_second:
        return jf2.utc_stamp(query.since.moment)
    return query.since.moment.isoformat() + "Z"


def next_url(query: Query, total: int) -> str | None:
    """The URL of the following page, or None on the last one. It repeats the parameters
    as understood (and the token only when it came in the query string)."""
    if (query.page + 1) * query.per_page >= total:
        return None
    params: list[tuple[str, Any]] = [("target", t) for t in sorted(set(query.targets))]
    if query.domain:
        params.append(("domain", query.domain))
    if query.token and query.token_in_query:
        params.append(("token", query.token))
    params += [("per-page", query.per_page), ("page", query.page + 1)]
    since = _since_text(query)
    if since:
        params.append(("since", since))
    if query.since_id:
        params.append(("since_id", query.since_id))
    params += [("sort-by", query.sort_by), ("sort-dir", query.sort_dir)]
    params += [("wm-property", p) for p in query.properties]
    return f"{current_app.config['BASE_URL']}{request.path}?{urlencode(params)}"


def _key(fmt: str, query: Query, scope: Scope, stamp: Stamp) -> str:
    """The cache key: everything the body depends on, including the rows' version stamp."""
    token = query.token if query.token and query.token_in_query else None
    material = {
        "v": REPRESENTATION,
        "fmt": fmt,
        "path": request.path,
        "base": current_app.config["BASE_URL"],
        "query": query.canonical(),
        "scope": [list(scope.target_keys), scope.site_id, scope.owner_site_id],
        "token": hashlib.sha256(token.encode()).hexdigest() if token else None,
        "stamp": stamp.token(),
    }
    return hashlib.sha256(_dumps(material)).hexdigest()[:40]


def _last_modified(stamp: Stamp) -> datetime | None:
    """max(updated_at), but only once its second has passed: HTTP dates have no fractions,
    so a change later in the same second would otherwise look unmodified."""
    last = stamp.last_updated
    if last is None or last >= utcnow().replace(microsecond=0):
        return None
    return last.replace(microsecond=0)


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    if request.headers.get("If-None-Match"):
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    if since is None or last_modified is None:
        return False
    return last_modified <= since.replace(tzinfo=None)


def _headers(etag: str, last_modified: datetime | None, owner: bool) -> dict[str, str]:
    max_age = int(current_app.config["API_MAX_AGE"])
    headers = {
        "ETag": f'"{etag}"',
        # The owner's view lists held mentions: no shared cache may keep it.
        "Cache-Control": "private, no-cache" if owner else f"public, max-age={max_age}",
        "Vary": "Authorization",
    }
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def _answer(fmt: str, query: Query, render: Render) -> Response:
    """Resolve the scope, answer 304 when the client's copy is current, else the cached or
    freshly built document (wrapped for JSONP when asked)."""
    session = db_session()
    scope = apiquery.resolve(session, query)
    stamp = apiquery.stamp(session, scope)
    key = _key(fmt, query, scope, stamp)
    etag = (
        key if not query.jsonp else hashlib.sha256(f"{key}:{query.jsonp}".encode()).hexdigest()[:40]
    )
    last_modified = _last_modified(stamp)
    headers = _headers(etag, last_modified, owner=scope.owner_site_id is not None)
    if _not_modified(etag, last_modified):
        return Response(status=304, headers=headers)
    cache = response_cache()
    body = cache.get(key)
    if body is None:
        body = render(session, scope, query, stamp)
        cache.set(key, body)
    mimetype = MIMETYPES[fmt]
    if query.jsonp:
        # The /**/ keeps the first bytes from being read as anything but a comment.
        body = b"/**/" + query.jsonp.encode("ascii") + b"(" + body + b");"
        mimetype = "application/javascript"
    response = Response(body, mimetype=mimetype, headers=headers)
    if fmt == "html":
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'"
        )
    return response


def _render_jf2(session: Session, scope: Scope, query: Query, _stamp: Stamp) -> bytes:
    found = apiquery.find(session, scope, query)
    children = [
        jf2.entry(m, parent_visible=m.parent_id in found.visible_parents) for m in found.mentions
    ]
    return _dumps(jf2.feed(children, total=found.total, next=next_url(query, found.total)))


def _render_links(session: Session, scope: Scope, query: Query, _stamp: Stamp) -> bytes:
    found = apiquery.find(session, scope, query)
    links = [jf2.link(m) for m in found.mentions]
    return _dumps({"links": links, "total": found.total, "next": next_url(query, found.total)})


def _title(scope: Scope, query: Query) -> str:
    if scope.site_host:
        return f"Mentions of {scope.site_host}"
    return "Mentions of " + ", ".join(sorted(set(query.targets)))


def _render_atom(session: Session, scope: Scope, query: Query, stamp: Stamp) -> bytes:
    found = apiquery.find(session, scope, query)
    base = current_app.config["BASE_URL"]
    if scope.site_host:
        params = [("domain", scope.site_host)]
        alternate = f"https://{scope.site_host}/"
    else:
        params = [("target", t) for t in sorted(set(query.targets))]
        alternate = sorted(set(query.targets))[0]
    feed_url = f"{base}{request.path}?{urlencode(params)}"
    info = feeds.FeedInfo(
        title=_title(scope, query),
        feed_id=feed_url,
        self_url=feed_url,
        alternate=alternate,
        status_base=f"{base}/webmention/status",
        updated=stamp.last_updated,
    )
    return feeds.atom(found.mentions, info)


def _render_html(session: Session, scope: Scope, query: Query, _stamp: Stamp) -> bytes:
    found = apiquery.find(session, scope, query)
    return feeds.html_page(
        found.mentions, _title(scope, query), found.total, next_url(query, found.total)
    )


RENDERERS: dict[str, Render] = {
    "jf2": _render_jf2,
    "json": _render_links,
    "atom": _render_atom,
    "html": _render_html,
}


def _mentions(fmt: str) -> Response:
    query = apiparams.parse_mentions(request.args, request.headers)
    if query.jsonp and fmt not in ("jf2", "json"):
        raise apiparams.bad("jsonp", "is only for the JSON formats (.jf2 and .json).")
    return _answer(fmt, query, RENDERERS[fmt])


@bp.get("/mentions.jf2")
def mentions_jf2() -> Response:
    return _mentions("jf2")


@bp.get("/mentions.json")
@bp.get("/mentions")
@bp.get("/links.json")
@bp.get("/links")
def mentions_json() -> Response:
    return _mentions("json")


@bp.get("/mentions.atom")
@bp.get("/links.atom")
def mentions_atom() -> Response:
    return _mentions("atom")


@bp.get("/mentions.html")
def mentions_html() -> Response:
    return _mentions("html")


def _type_counts(counter: Counter[str]) -> dict[str, Any]:
    # Types with none are left out, as webmention.io does.
    return {"count": sum(counter.values()), "type": dict(sorted(counter.items()))}


def _render_count(session: Session, scope: Scope, query: Query, _stamp: Stamp) -> bytes:
    by_key = apiquery.counts(session, scope)
    document = _type_counts(sum(by_key.values(), Counter()))
    if len(query.targets) > 1:
        document["targets"] = {
            target: _type_counts(by_key.get(key, Counter()))
            for target, key in ((t, target_key(t)) for t in query.targets)
        }
    return _dumps(document)


@bp.get("/count.json")
@bp.get("/count")
def count() -> Response:
    return _answer("count", apiparams.parse_count(request.args, request.headers), _render_count)


@bp.get("/changes.json")
def changes_json() -> Response:
    """The site's change feed (see pingsvc.api.changes): never cached, it is the owner's."""
    document = changes.page(db_session(), changes.parse(request.args, request.headers))
    headers = {"Cache-Control": "private, no-store", "Vary": "Authorization"}
    return Response(_dumps(document), mimetype="application/json", headers=headers)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    body = _dumps(openapi.document(current_app.config["BASE_URL"]))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
    return response


@bp.errorhandler(PingError)
def _api_error(exc: PingError) -> Response:
    response = json_error(exc.status, exc.code, exc.description)
    response.headers["Cache-Control"] = "no-store"
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pingsvc", error="invalid_token"'
    return response


@bp.after_app_request
def _cors(response: Response) -> Response:
    """Every /api/ answer, errors and 304s included, may be read from any origin: widgets
    read it from the blog's pages."""
    if request.path.startswith(bp.url_prefix or "/api"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, If-None-Match, If-Modified-Since"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
    return response
