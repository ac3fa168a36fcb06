"""The author's dashboard: `init_app` wires its pages (overview, inbox, sites, sent, import and
export; they hang on the blueprint in blueprint.py), login and CSRF (auth.py) and the
template helpers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup

from pingsvc.sanitize import clean_html, safe_url


def _clean(html: str | None, base: str = "") -> Markup:
    """Mention HTML, sanitized again at display time (stored HTML is already clean)."""
    return Markup(clean_html(html or "", base or "https://invalid.example/"))  # noqa: S704


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _safe_href(url: str | None) -> str:
    return safe_url(url) or ""


def init_app(app: Flask) -> None:
    """Register the dashboard's pages, login and the template helpers they use."""
    from pingsvc.dashboard import (  # noqa: F401 - views attach
        auth,
        inbox,
        overview,
        portability,
        privacy,
        sent,
        sites,
    )
    from pingsvc.dashboard.blueprint import bp

    app.jinja_env.filters["clean_html"] = _clean
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["safe_href"] = _safe_href
    app.jinja_env.globals["current_account"] = auth.current_account
    app.before_request(portability.raise_upload_limit)  # before auth's CSRF check reads forms
    auth.init_app(app)
    app.register_blueprint(bp)
