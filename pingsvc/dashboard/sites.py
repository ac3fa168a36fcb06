"""Dashboard pages for sites: add one, the tags and widget snippet to paste, the tag check,
the moderation policy, the API token, block rules, e-mail, webhooks and their delivery log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from pingsvc import changelog, moderation
from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account
from pingsvc.dashboard.blueprint import FormError, bp, notify_changed, release_avatars
from pingsvc.db import db_session
from pingsvc.errors import FetchError, PingError
from pingsvc.fetch.addresses import resolve
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.fetch.sitecheck import CheckResult, check_site
from pingsvc.home import link_tags
from pingsvc.models import BlockRule, ModerationAction, Site, Webhook, WebhookDelivery
from pingsvc.notify import webhooks
from pingsvc.tasking import WEBHOOK_TASK, send_after_commit
from pingsvc.urls import host_of, normalize_url

LOG_ROWS = 50


def widget_snippet(base: str, target: str = "POST_URL") -> str:
    return f'<script src="{base}/embed.js" data-target="{target}" async></script>'


def normalize_host(raw: str) -> str:
    """`blog.example` from what a person types: a host, or a URL of the blog."""
    raw = (raw or "").strip()
    if not raw:
        raise FormError("Give your blog's host name, such as blog.example.")
    try:
        host = host_of(normalize_url(raw if "://" in raw else f"https://{raw}", "url"))
    except PingError as exc:
        raise FormError(f"{raw!r} is not a host name: {exc.description}") from exc
    if not host or " " in host:
        raise FormError("Give your blog's host name, such as blog.example.")
    return host


def _redirect_site(site: Site, anchor: str = "") -> Response:
    return redirect(url_for("dashboard.site", site_id=site.id) + anchor, code=303)


@bp.get("/sites")
def sites() -> str:
    return render_template("dashboard/sites.html", sites=access.sites(db_session(), account()))


@bp.post("/sites")
def add_site() -> Response:
    me, db = account(), db_session()
    host = normalize_host(request.form.get("host", ""))
    if db.scalar(select(Site.id).where(Site.host == host)) is not None:
        raise FormError(f"{host} is already registered with this service.", status=409)
    site = Site(host=host, owner_id=me.id, policy="publish")
    db.add(site)
    db.flush()
    moderation.record(db, me, "site_add", site_id=site.id, detail=host)
    db.commit()
    flash(f"{host} was added. Paste the tags below into your blog's pages.")
    return _redirect_site(site)


def _render_site(site: Site, status: int = 200, **extra: Any) -> tuple[str, int]:
    db = db_session()
    base = current_app.config["BASE_URL"]
    rules = db.scalars(
        select(BlockRule).where(BlockRule.site_id == site.id).order_by(BlockRule.created_at)
    ).all()
    hooks = db.scalars(select(Webhook).where(Webhook.site_id == site.id).order_by(Webhook.id))
    log_rows = db.scalars(
        select(ModerationAction)
        .where(ModerationAction.site_id == site.id)
        .order_by(ModerationAction.id.desc())
        .limit(LOG_ROWS)
    ).all()
    page = render_template(
        "dashboard/site.html",
        site=site,
        tags=link_tags(base),
        snippet=widget_snippet(base),
        example_snippet=widget_snippet(base, f"https://{site.host}/2024/01/a-post/"),
        policies=moderation.POLICIES,
        rules=rules,
        hooks=list(hooks),
        log_rows=log_rows,
        smtp_on=bool(current_app.config.get("SMTP_HOST")),
        check=extra.pop("check", None),
        **extra,
    )
    return page, status


@bp.get("/sites/<id:site_id>")
def site(site_id: int) -> tuple[str, int]:
    return _render_site(access.site(db_session(), account(), site_id))


def _check_url(site: Site, raw: str) -> str:
    """The page to check: the site's home page, or a page of the site the owner gave."""
    if not raw.strip():
        return f"https://{site.host}/"
    try:
        url = normalize_url(raw, "url")
    except PingError as exc:
        raise FormError(exc.description) from exc
    if host_of(url) != site.host:
        raise FormError(f"Check a page of {site.host}, not of {host_of(url)}.")
    return url


@bp.post("/sites/<id:site_id>/check")
def check(site_id: int) -> tuple[str, int]:
    site = access.site(db_session(), account(), site_id)
    url = _check_url(site, request.form.get("url", ""))
    policy = FetchPolicy.from_config(current_app.config)
    result: CheckResult = check_site(url, current_app.config["BASE_URL"], policy)
    return _render_site(site, check=result)


@bp.post("/sites/<id:site_id>/policy")
def policy(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    try:
        moderation.set_policy(
            db, me, site, request.form.get("policy", ""), request.form.get("require_vouch") == "on"
        )
    except PingError as exc:
        raise FormError(exc.description) from exc
    db.commit()
    flash(f"Policy: {moderation.POLICIES[site.policy]}.")
    return _redirect_site(site, "#policy")


@bp.post("/sites/<id:site_id>/spam")
def spam_threshold(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    try:
        moderation.set_spam_threshold(db, me, site, request.form.get("threshold", ""))
    except PingError as exc:
        raise FormError(exc.description) from exc
    db.commit()
    flash(f"Mentions scoring {site.spam_threshold} or more are held as likely spam.")
    return _redirect_site(site, "#spam")


@bp.post("/sites/<id:site_id>/email")
def email(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    wanted = request.form.get("email_notify") == "on"
    if wanted != site.email_notify:
        site.email_notify = wanted
        moderation.record(db, me, "email", site_id=site.id, detail="on" if wanted else "off")
        db.commit()
    flash("E-mail notifications are " + ("on." if wanted else "off."))
    return _redirect_site(site, "#notifications")


@bp.post("/sites/<id:site_id>/token")
def token(site_id: int) -> tuple[str, int]:
    from pingsvc.tokens import rotate  # the API's own hashing (see pingsvc/tokens.py)

    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    plain = rotate(site)
    moderation.record(db, me, "token", site_id=site.id, detail="API token rotated")
    db.commit()
    return _render_site(site, new_token=plain)


@bp.post("/sites/<id:site_id>/blocks")
def add_block(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    kind = request.form.get("kind", "")
    try:
        rule, changed = moderation.block(db, me, site, kind, request.form.get("value", ""))
    except PingError as exc:
        raise FormError(exc.description) from exc
    notify_changed(changed, db)
    changelog.record(db, changed)  # the block's deletions reach the change feed
    db.commit()
    release_avatars(db)
    flash(f"Blocked {rule.kind} {rule.value}; {len(changed)} mention(s) from it deleted.")
    return _redirect_site(site, "#blocks")


@bp.post("/blocks/<id:rule_id>/delete")
def delete_block(rule_id: int) -> Response:
    me, db = account(), db_session()
    rule = access.block_rule(db, me, rule_id)
    site = access.site(db, me, rule.site_id) if rule.site_id else None
    moderation.unblock(db, me, rule)
    db.commit()
    flash(f"Mentions from {rule.kind} {rule.value} are accepted again.")
    return _redirect_site(site, "#blocks") if site else redirect(url_for("dashboard.sites"))


@bp.post("/sites/<id:site_id>/webhooks")
def add_webhook(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    url = _webhook_url(request.form.get("url", ""))
    hook = Webhook(site_id=site.id, url=url, secret=webhooks.new_secret(), active=True)
    db.add(hook)
    db.flush()
    moderation.record(db, me, "webhook_add", site_id=site.id, detail=url)
    db.commit()
    flash("Webhook added. Check the secret in its signature header or body.")
    return redirect(url_for("dashboard.webhook", webhook_id=hook.id), code=303)


def _webhook_url(raw: str) -> str:
    """An http(s) URL whose host resolves to an address the worker may call."""
    try:
        url = normalize_url(raw, "url").split("#", 1)[0]
    except PingError as exc:
        raise FormError(exc.description.replace("The url", "The webhook URL")) from exc
    policy = FetchPolicy.from_config(current_app.config)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolve(parts.hostname or "", port, policy)
    except FetchError as exc:
        reason = exc.reason.replace("the source", "the webhook")
        raise FormError(f"This webhook URL can't be called: {reason}.") from exc
    return url


@bp.get("/webhooks/<id:webhook_id>")
def webhook(webhook_id: int) -> str:
    db = db_session()
    hook = access.webhook(db, account(), webhook_id)
    deliveries = db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(100)
    )
    return render_template(
        "dashboard/webhook.html",
        hook=hook,
        site=hook.site,
        deliveries=list(deliveries),
        header=webhooks.SIGNATURE_HEADER,
    )


@bp.post("/webhooks/<id:webhook_id>/test")
def test_webhook(webhook_id: int) -> Response:
    me, db = account(), db_session()
    hook = access.webhook(db, me, webhook_id)
    delivery = webhooks.queue(db, hook, webhooks.test_payload(hook), webhooks.TEST, None)
    send_after_commit(WEBHOOK_TASK, delivery.id, session=db)
    db.commit()
    flash("A test call is on its way; reload to see how it went.")
    return redirect(url_for("dashboard.webhook", webhook_id=hook.id), code=303)


@bp.post("/webhooks/<id:webhook_id>/delete")
def delete_webhook(webhook_id: int) -> Response:
    me, db = account(), db_session()
    hook = access.webhook(db, me, webhook_id)
    site = hook.site
    moderation.record(db, me, "webhook_delete", site_id=site.id, detail=hook.url)
    db.delete(hook)
    db.commit()
    flash("Webhook removed.")
    return _redirect_site(site, "#notifications")


@bp.post("/deliveries/<id:delivery_id>/resend")
def resend(delivery_id: int) -> Response:
    me, db = account(), db_session()
    delivery = access.delivery(db, me, delivery_id)
    hook = access.webhook(db, me, delivery.webhook_id)
    again = webhooks.resend(db, hook, delivery)
    moderation.record(
        db, me, "webhook_resend", site_id=hook.site_id, mention_id=delivery.mention_id,
        detail=f"delivery {delivery.id} sent again as {again.id}",
    )  # fmt: skip
    send_after_commit(WEBHOOK_TASK, again.id, session=db)
    db.commit()
    flash(f"Delivery {delivery.id} is being sent again (as {again.id}).")
    return redirect(url_for("dashboard.webhook", webhook_id=hook.id), code=303)
