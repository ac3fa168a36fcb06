"""The author's dashboard: the blueprint every dashboard page hangs on (login, HTML errors,
template helpers) and the overview page. Sites live in sites.py, the inbox in inbox.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, current_app, g, render_template, request
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from pingsvc import access, db_session
from pingsvc.auth import account, current_account, login_required, secure_headers
from pingsvc.models import HELD, PENDING, Mention, Site, utcnow
from pingsvc.sanitize import clean_html, safe_url

log = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.after_request(secure_headers)
DAYS = 30


class FormError(Exception):
    """A form the user must correct: shown as an error page with the status and message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@bp.before_request
@login_required
def _require_login() -> None:
    """Every dashboard page needs a logged-in account."""


@bp.errorhandler(FormError)
def _form_error(exc: FormError) -> tuple[str, int]:
    return render_template("dashboard/error.html", title="Please check", message=exc.message), (
        exc.status
    )


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    title = exc.name or "Error"
    return render_template("dashboard/error.html", title=title, message=exc.description), (
        exc.code or 500
    )


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("dashboard error")
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
    message = "Something went wrong on our side; try again later."
    return render_template("dashboard/error.html", title="Server error", message=message), 500


def send_task(name: str, *args: Any) -> bool:
    """Enqueue a worker task by name after the caller committed; False when the broker is
    down (the sweeper picks the committed work up later)."""
    try:
        current_app.extensions["celery"].send_task(name, args=list(args))
    except Exception as exc:  # noqa: BLE001 - the row is committed; the sweeper retries
        log.warning("could not enqueue %s%r: %s", name, args, exc)
        return False
    return True


def notify_changed(mention_ids: list[int]) -> None:
    """Tell the worker these mentions changed (webhooks, e-mail), after the commit that left
    their outbox marks (moderation.decide and block): if the broker is down, the sweeper
    sends them."""
    from pingsvc.notify.webhooks import NOTIFY_TASK

    for mention_id in mention_ids:
        send_task(NOTIFY_TASK, mention_id)


def int_arg(name: str) -> int | None:
    """An optional whole-number query or form value; a clear 400 when it is not one."""
    raw = request.values.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise FormError(f"{name} must be a whole number.") from exc
    if abs(value) > 2**31 - 1:
        raise FormError(f"{name} is out of range.")
    return value


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    height: float


def daily_counts(account_: Any, days: int = DAYS, today: date | None = None) -> list[Bar]:
    """Mentions received per day over the last `days` days, as chart bars (0-40 high)."""
    today = today or utcnow().date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time())
    day = func.date(Mention.received_at)
    rows = db_session().execute(
        select(day, func.count(Mention.id))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_), Mention.received_at >= since)
        .group_by(day)
    )
    counts = {str(key)[:10]: int(n) for key, n in rows}
    values = [(start + timedelta(days=i)) for i in range(days)]
    peak = max(counts.values(), default=0) or 1
    return [
        Bar(d, counts.get(d.isoformat(), 0), i * 10.0, 40.0 * counts.get(d.isoformat(), 0) / peak)
        for i, d in enumerate(values)
    ]


def top_sources(account_: Any, days: int = DAYS, limit: int = 10) -> list[tuple[str, int]]:
    since = utcnow() - timedelta(days=days)
    rows = db_session().execute(
        select(Mention.source_host, func.count(Mention.id).label("n"))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_), Mention.received_at >= since)
        .group_by(Mention.source_host)
        .order_by(func.count(Mention.id).desc(), Mention.source_host)
        .limit(limit)
    )
    return [(host, int(n)) for host, n in rows]


def state_counts(account_: Any) -> dict[str, int]:
    rows = db_session().execute(
        select(Mention.status, func.count(Mention.id))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_))
        .group_by(Mention.status)
    )
    return {status: int(n) for status, n in rows}


@bp.get("/")
def overview() -> str:
    me = account()
    waiting = db_session().scalars(
        access.mentions(me)
        .where(Mention.status.in_((HELD, PENDING)))
        .order_by(Mention.received_at.desc(), Mention.id.desc())
        .limit(10)
    )
    bars = daily_counts(me)
    return render_template(
        "dashboard/overview.html",
        bars=bars,
        total_30=sum(b.count for b in bars),
        peak=max((b.count for b in bars), default=0),
        sources=top_sources(me),
        states=state_counts(me),
        waiting=list(waiting),
        sites=access.sites(db_session(), me),
    )


def _clean(html: str | None, base: str = "") -> Markup:
    """Mention HTML, sanitized again at display time (stored HTML is already clean)."""
    return Markup(clean_html(html or "", base or "https://invalid.example/"))  # noqa: S704


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _safe_href(url: str | None) -> str:
    return safe_url(url) or ""


def init_app(app: Flask) -> None:
    """Register the dashboard's pages (overview here, sites and inbox in their modules)."""
    from pingsvc import auth, inbox, sites  # noqa: F401 - their views attach to `bp`

    app.jinja_env.filters["clean_html"] = _clean
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["safe_href"] = _safe_href
    app.jinja_env.globals["current_account"] = current_account
    auth.init_app(app)
    app.register_blueprint(bp)
