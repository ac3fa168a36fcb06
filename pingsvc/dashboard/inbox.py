"""Dashboard pages for mentions: the inbox with its filters, one post's mentions as the widget
shows them, one mention's details, and the moderation actions (single and bulk)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import Select, or_, select
from werkzeug.wrappers import Response

from pingsvc import changelog, moderation
from pingsvc.api.jf2 import PROPERTY_TYPES, type_key
from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account
from pingsvc.dashboard.blueprint import FormError, bp, int_arg, notify_changed, release_avatars
from pingsvc.db import db_session
from pingsvc.errors import PingError
from pingsvc.models import (
    APPROVED,
    STATES,
    Mention,
    ModerationAction,
    WebhookDelivery,
)
from pingsvc.tasking import VERIFY_TASK, send_after_commit
from pingsvc.urls import host_of, normalize_url, target_key

PER_PAGE = 50
# "spam": report spam, which rejects the mention and teaches the site's spam scorer.
ACTIONS = (*moderation.DECISIONS, "reverify", "spam")
TYPES = {value: prop for prop, value in PROPERTY_TYPES.items()}  # reply -> in-reply-to
PAST = {"approve": "approved", "hold": "held", "reject": "rejected", "delete": "deleted",
        "reverify": "sent to verification again",
        "spam": "reported as spam and rejected"}  # fmt: skip
# What a widget shows as faces rather than as comments.
FACES = {"like-of", "repost-of", "bookmark-of"}


@dataclass(frozen=True)
class Filters:
    site: int | None = None
    post: str = ""
    type: str = ""
    state: str = ""
    q: str = ""
    page: int = 0

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL parameters (empty ones left out), with `changes` applied."""
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items() if v not in (None, "", 0)}


def _filters() -> Filters:
    args = request.args
    kind, state = args.get("type", "").strip(), args.get("state", "").strip()
    if kind and kind not in TYPES:
        raise FormError(f"type must be one of {', '.join(TYPES)}.")
    if state and state not in STATES:
        raise FormError(f"state must be one of {', '.join(STATES)}.")
    page = int_arg("page") or 0
    if page < 0:
        raise FormError("page must be 0 or more.")
    return Filters(int_arg("site"), args.get("post", "").strip(), kind, state,
                   args.get("q", "").strip()[:200], page)  # fmt: skip


def _post_key(raw: str) -> str:
    try:
        return target_key(normalize_url(raw, "target"))
    except PingError as exc:
        raise FormError(f"post: {exc.description}") from exc


def filtered(filters: Filters) -> Select[Any]:
    """The inbox query for the logged-in account: its sites only, then the filters."""
    me, db = account(), db_session()
    query = access.mentions(me)
    if filters.site is not None:
        query = query.where(Mention.site_id == access.site(db, me, filters.site).id)
    if filters.post:
        query = query.where(Mention.target_key == _post_key(filters.post))
    if filters.type:
        query = query.where(Mention.property == TYPES[filters.type])
    if filters.state:
        query = query.where(Mention.status == filters.state)
    if filters.q:
        like = "%" + _escape_like(filters.q) + "%"
        columns = (Mention.author_name, Mention.name, Mention.content_text, Mention.source,
                   Mention.target, Mention.summary)  # fmt: skip
        query = query.where(or_(*(c.ilike(like, escape="\\") for c in columns)))
    return query.order_by(Mention.received_at.desc(), Mention.id.desc())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def reasons(mentions: list[Mention]) -> dict[int, str]:
    """Why each rejected or deleted mention is: the verification's error, else the owner's
    decision from the moderation log."""
    out = {m.id: m.error for m in mentions if m.error and m.status != APPROVED}
    ids = [m.id for m in mentions if m.id not in out and m.status in ("rejected", "deleted")]
    if ids:
        rows = db_session().scalars(
            select(ModerationAction)
            .where(ModerationAction.mention_id.in_(ids), ModerationAction.action.in_(ACTIONS))
            .order_by(ModerationAction.id)
        )
        for row in rows:
            done = PAST.get(row.action, row.action)
            out[row.mention_id or 0] = f"{done} by {row.actor}, {row.created_at:%Y-%m-%d}"
    return out


@bp.get("/inbox")
def inbox() -> str:
    filters = _filters()
    rows = list(
        db_session().scalars(filtered(filters).limit(PER_PAGE + 1).offset(filters.page * PER_PAGE))
    )
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    return render_template(
        "dashboard/inbox.html",
        mentions=rows,
        reasons=reasons(rows),
        filters=filters,
        more=more,
        sites=access.sites(db_session(), account()),
        types=list(TYPES),
        states=STATES,
        type_key=type_key,
        actions=ACTIONS,
    )


@bp.get("/post")
def post() -> str:
    """One post's mentions: what the widget shows (approved), then everything else."""
    raw = request.args.get("target", "").strip()
    if not raw:
        raise FormError("Give the post's URL as ?target=URL.")
    try:
        target = normalize_url(raw, "target")
    except PingError as exc:
        raise FormError(exc.description) from exc
    me, db = account(), db_session()
    site = access.site_by_host(db, me, host_of(target))
    rows = list(
        db.scalars(
            select(Mention)
            .where(Mention.site_id == site.id, Mention.target_key == target_key(target))
            .order_by(Mention.received_at, Mention.id)
        )
    )
    shown = [m for m in rows if m.status == APPROVED]
    return render_template(
        "dashboard/post.html",
        target=target,
        site=site,
        faces=[m for m in shown if m.property in FACES],
        comments=[m for m in shown if m.property not in FACES],
        others=[m for m in rows if m.status != APPROVED][::-1],
        reasons=reasons(rows),
        type_key=type_key,
        actions=ACTIONS,
    )


@bp.get("/mentions/<id:mention_id>")
def mention(mention_id: int) -> str:
    db = db_session()
    found = access.mention(db, account(), mention_id)
    history = db.scalars(
        select(ModerationAction)
        .where(ModerationAction.mention_id == found.id)
        .order_by(ModerationAction.id.desc())
    )
    deliveries = db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.mention_id == found.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(50)
    )
    return render_template(
        "dashboard/mention.html",
        m=found,
        reasons=reasons([found]),
        history=list(history),
        deliveries=list(deliveries),
        type_key=type_key,
        actions=ACTIONS,
    )


def _back(default: str) -> Response:
    target = request.form.get("next", "")
    if not (target == "/dashboard" or target.startswith(("/dashboard/", "/dashboard?"))):
        target = default  # only back into the dashboard: never another site
    return redirect(target, code=303)


def _action() -> str:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise FormError(f"Choose an action: {', '.join(ACTIONS)}.")
    return action


def apply(mentions: list[Mention], action: str) -> tuple[list[int], list[int]]:
    """Apply one action to mentions the account may act on; (changed ids, re-verify ids)."""
    me, db = account(), db_session()
    changed, queued = [], []
    for found in mentions:
        if action == "reverify":
            if moderation.reverify(db, me, found):
                queued.append(found.id)
        elif action == "spam":
            if moderation.report_spam(db, me, found):
                changed.append(found.id)
        elif moderation.decide(db, me, found, action):
            changed.append(found.id)
    for mention_id in queued:  # queued_at is set: if the broker is down, the sweeper sends it
        send_after_commit(VERIFY_TASK, mention_id, session=db)
    notify_changed(changed, db)
    changelog.record(db, changed)  # last before the commit: see pingsvc.changelog
    db.commit()
    release_avatars(db)
    return changed, queued


@bp.post("/mentions/<id:mention_id>/moderate")
def moderate(mention_id: int) -> Response:
    found = access.mention(db_session(), account(), mention_id)
    action = _action()
    _changed, queued = apply([found], action)
    flash(_done(action, len(queued) if action == "reverify" else 1))
    return _back(url_for("dashboard.mention", mention_id=found.id))


@bp.post("/mentions/bulk")
def bulk() -> Response:
    action = _action()
    try:
        ids = sorted({int(v) for v in request.form.getlist("ids")})
    except ValueError as exc:
        raise FormError("The selection holds something that is not a mention id.") from exc
    if not ids:
        raise FormError("Select at least one mention first.")
    if len(ids) > 1000:
        raise FormError("Select at most 1,000 mentions at a time.")
    found = access.mentions_by_id(db_session(), account(), ids)
    _changed, queued = apply(found, action)
    # Imported WordPress comments have no source to verify: not counted as queued.
    flash(_done(action, len(queued) if action == "reverify" else len(found)))
    return _back(url_for("dashboard.inbox"))


def _done(action: str, count: int) -> str:
    noun = "mention" if count == 1 else "mentions"
    if action == "reverify":
        return f"{count} {noun} queued for verification."
    return f"{count} {noun} {PAST[action]}."


@bp.post("/mentions/<id:mention_id>/block")
def block(mention_id: int) -> Response:
    me, db = account(), db_session()
    found = access.mention(db, me, mention_id)
    kind = request.form.get("kind", "")
    value = found.source if kind == "url" else found.source_host
    try:
        rule, changed = moderation.block(db, me, found.site, kind, value)
    except PingError as exc:
        raise FormError(exc.description) from exc
    notify_changed(changed, db)
    changelog.record(db, changed)  # the block's deletions reach the change feed
    db.commit()
    release_avatars(db)
    flash(f"Blocked {rule.kind} {rule.value}; {len(changed)} mention(s) from it deleted.")
    return _back(url_for("dashboard.mention", mention_id=found.id))
