"""The service's own pages: the home page with the tags a site owner pastes, and health."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import select, text

from pingsvc import db_session
from pingsvc.models import Site

bp = Blueprint("home", __name__)


def link_tags(base: str) -> list[str]:
    """The <link> tags a blog puts in its <head> to send its mentions here."""
    return [
        f'<link rel="webmention" href="{base}/webmention">',
        f'<link rel="pingback" href="{base}/xmlrpc">',
    ]


@bp.get("/")
def index() -> str:
    base = current_app.config["BASE_URL"]
    sites = db_session().scalars(select(Site.host).order_by(Site.host)).all()
    return render_template("home.html", base=base, tags=link_tags(base), sites=sites)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers (the broker is checked by the worker's own health)."""
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return jsonify({"status": "unavailable", "database": str(exc)[:200]}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
