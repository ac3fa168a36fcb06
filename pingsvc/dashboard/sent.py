"""Dashboard pages for sending: what pingsvc sent for a site's posts and for one post (each
target's status, endpoint and last error), and the form that sends a post now or again."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account
from pingsvc.dashboard.blueprint import FormError, bp
from pingsvc.db import db_session
from pingsvc.errors import PingError
from pingsvc.models import Feed, Outgoing, Site
from pingsvc.send import store
from pingsvc.tasking import DELIVER_TASK, SEND_POST_TASK, send_after_commit
from pingsvc.urls import host_of, normalize_url

SITE_ROWS = 200  # sends shown on a site's page, the most recently changed first

# What each status means, for the legend under the tables.
MEANINGS = {
    "queued": "waiting for the worker, or being retried after a timeout, 5xx or 429",
    "accepted": "the receiver answered 2xx (webmention) or the pingback succeeded",
    "not_supported": "the target advertises no webmention or pingback endpoint",
    "error": "refused for good: a 4xx, a pingback fault, a refused address, or out of tries",
}


def _post_url(raw: str, field: str) -> str:
    if not raw.strip():
        raise FormError(f"Give the post's URL as {field}=URL.")
    try:
        return normalize_url(raw, "source")
    except PingError as exc:
        raise FormError(exc.description) from exc


def _post_site(url: str) -> Site:
    """The caller's site `url` is a post of (a 404 when it is not one of theirs)."""
    return access.site_by_host(db_session(), account(), host_of(url))


@bp.get("/sites/<id:site_id>/sent")
def sent(site_id: int) -> str:
    """The site's sends, grouped by post, the most recently changed post first, and the
    feeds watched for it (pingsvc feed add) with how their last poll went."""
    db = db_session()
    site = access.site(db, account(), site_id)
    posts: dict[str, list[Outgoing]] = {}
    for row in store.for_site(db, site.id, limit=SITE_ROWS):
        posts.setdefault(row.source, []).append(row)
    feeds = db.scalars(select(Feed).where(Feed.site_id == site.id).order_by(Feed.url)).all()
    return render_template(
        "dashboard/sent.html", site=site, posts=list(posts.items()), post=None,
        meanings=MEANINGS, feeds=feeds,
    )  # fmt: skip


@bp.get("/sent/post")
def sent_post() -> str:
    """One post's sends: every target it was ever sent to, linked still or not."""
    url = _post_url(request.args.get("source", ""), "?source")
    site = _post_site(url)
    rows: list[Outgoing] = [r for r in store.for_source(db_session(), url) if r.site_id == site.id]
    return render_template(
        "dashboard/sent.html", site=site, posts=[(url, rows)], post=url, meanings=MEANINGS,
        feeds=[],
    )  # fmt: skip


def _to_post(url: str) -> Response:
    return redirect(url_for("dashboard.sent_post") + "?" + urlencode({"source": url}), code=303)


@bp.post("/send")
def send_now() -> Response:
    """Queue the sending of one of the caller's posts (a new one, or the same again): the
    worker fetches it and sends to its links and to the links it no longer has."""
    url = _post_url(request.form.get("url", ""), "url")
    _post_site(url)
    if not send_after_commit(SEND_POST_TASK, url):
        raise FormError(
            "The worker's queue is not answering right now, so nothing was sent. "
            "Try again in a minute.",
            status=503,
        )
    flash(f"Sending {url}: its targets appear below as the worker reaches them.")
    return _to_post(url)


@bp.post("/sends/<id:send_id>/resend")
def resend_send(send_id: int) -> Response:
    """Deliver to one target again (its endpoint discovered again), without planning the
    whole post: for a target that failed, or whose receiver lost the mention."""
    db = db_session()
    row = access.outgoing(db, account(), send_id)
    store.upsert(  # queued again, its last result readable until the new one
        db, row.site_id, row.source, row.target, linked=row.linked, callback=row.callback
    )
    db.commit()
    if send_after_commit(DELIVER_TASK, row.id):
        flash(f"Sending {row.source} to {row.target} again.")
    else:  # the row is queued: the sweeper sends it once the queue answers again
        flash(f"The worker's queue is not answering; {row.target} will be sent to later.")
    return _to_post(row.source)
