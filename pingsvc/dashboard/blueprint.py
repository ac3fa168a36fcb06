"""The blueprint every dashboard page hangs on: login required, errors shown as pages, and
the helpers the views share (form errors, whole-number arguments, notifying changes)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from pingsvc import moderation
from pingsvc.avatars import store as avatar_store
from pingsvc.avatars import usage
from pingsvc.dashboard.auth import login_required, secure_headers
from pingsvc.db import rollback_quietly, services
from pingsvc.errors import DATABASE_RETRY_AFTER, database_unavailable
from pingsvc.tasking import NOTIFY_TASK, send_after_commit

log = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.after_request(secure_headers)


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
def _unexpected(exc: Exception) -> tuple[str, int, dict[str, str]]:
    session = g.pop("db_session", None)
    if database_unavailable(exc):
        log.warning("dashboard: database unavailable: %s", exc)
        rollback_quietly(session)
        g.account = None  # the page's header must not ask the database who is logged in
        message = "The database is not answering right now. Try again in a few seconds."
        page = render_template("dashboard/error.html", title="Unavailable", message=message)
        return page, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}
    log.exception("dashboard error")
    if session is not None:
        session.rollback()
    message = "Something went wrong on our side; try again later."
    return render_template("dashboard/error.html", title="Server error", message=message), 500, {}


def notify_changed(mention_ids: list[int], session: Session | None = None) -> None:
    """Tell the worker these mentions changed (webhooks, e-mail), once `session` commits the
    outbox marks they left (moderation.decide and block), or now when the caller committed
    them: if the broker is down, the sweeper sends them."""
    for mention_id in mention_ids:
        send_after_commit(NOTIFY_TASK, mention_id, session=session)


def release_avatars(session: Session) -> None:
    """Once `session` committed the deletions moderation made, delete the archived avatars
    they showed that no other mention shows."""
    keys = session.info.pop(moderation.DROPPED_AVATARS, [])
    if keys:
        usage.release(services().db, avatar_store.from_config(current_app.config), keys)


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
