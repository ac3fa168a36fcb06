"""Dashboard actions on retention and erasure: a site's retention rules, and "forget" of a
source domain or an author, from a mention's page or the site's page (pingsvc.retention)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pingsvc import retention
from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account
from pingsvc.dashboard.blueprint import FormError, bp, notify_changed
from pingsvc.db import db_session
from pingsvc.errors import PingError
from pingsvc.models import Site


def _site_page(site: Site, anchor: str) -> Response:
    return redirect(url_for("dashboard.site", site_id=site.id) + anchor, code=303)


@bp.post("/sites/<id:site_id>/retention")
def set_retention(site_id: int) -> Response:
    me, db = account(), db_session()
    site = access.site(db, me, site_id)
    try:
        rejected = retention.check_days(request.form.get("rejected_days"), "Rejected mentions")
        deleted = retention.check_days(request.form.get("deleted_days"), "Deleted mentions")
    except PingError as exc:
        raise FormError(exc.description) from exc
    retention.set_rules(db, me, site, rejected, deleted)
    db.commit()
    flash(
        f"Rejected mentions are {retention.describe_days(rejected)}; deleted ones are "
        f"{retention.describe_days(deleted)} before their content is erased."
    )
    return _site_page(site, "#retention")


def _forget(site: Site, kind: str, value: str) -> retention.Forgotten:
    me, db = account(), db_session()
    try:
        done = retention.forget(
            db, me, site, kind, value, hooks=retention.erase_hooks(current_app.extensions)
        )
    except PingError as exc:
        raise FormError(exc.description) from exc
    notify_changed(done.changed)  # committed by forget: sent now, or by the sweeper
    flash(done.describe().capitalize() + ".")
    return done


@bp.post("/sites/<id:site_id>/forget")
def forget_on_site(site_id: int) -> Response:
    site = access.site(db_session(), account(), site_id)
    _forget(site, request.form.get("kind", ""), request.form.get("value", ""))
    return _site_page(site, "#forget")


@bp.post("/mentions/<id:mention_id>/forget")
def forget_from_mention(mention_id: int) -> Response:
    db = db_session()
    found = access.mention(db, account(), mention_id)
    kind = request.form.get("kind", "")
    if kind == "author" and not found.author_url:
        raise FormError("This mention names no author URL; forget its domain instead.")
    value = found.author_url if kind == "author" else found.source_host
    site = found.site
    _forget(site, kind, value or "")
    return redirect(url_for("dashboard.mention", mention_id=mention_id), code=303)
