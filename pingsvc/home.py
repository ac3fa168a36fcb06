"""The service's own pages: the home page with the tags a site owner pastes, and health."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import select, text

from pingsvc.db import db_session
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


def _database_problem() -> str | None:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"the database did not answer: {str(exc)[:200]}"
    return None


def broker_problem(config: Mapping[str, Any]) -> str | None:
    """Why the broker can't take messages now, or None: Redis must answer PING; the embedded
    broker's folders must be writable."""
    if config.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(
            config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            return f"Redis did not answer PING: {str(exc)[:200]}"
        finally:
            client.close()
        return None
    var_dir = Path(config["VAR_DIR"])
    for folder in (var_dir / "queue", var_dir / "queue-control"):
        if not folder.is_dir():
            return f"the embedded broker folder {folder} is missing"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"the embedded broker folder {folder} is not writable"
    return None


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers and the broker takes messages; 503 names what failed."""
    checks = {
        "database": _database_problem(),
        "broker": broker_problem(current_app.config),
    }
    body: dict[str, Any] = {name: problem or "ok" for name, problem in checks.items()}
    failed = [name for name, problem in checks.items() if problem]
    if failed:
        return jsonify({"status": "unavailable", "failed": failed, **body}), 503
    return jsonify({"status": "ok", **body}), 200
