"""Logging in to the dashboard: scrypt passwords, the session cookie, CSRF on every form,
and who is asking (`current_account`, `login_required`)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response as BaseResponse

from pingsvc.db import db_session
from pingsvc.limits import limiter
from pingsvc.models import Account

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()

F = TypeVar("F", bound=Callable[..., Any])
MIN_PASSWORD = 8
# Checked against when the e-mail is unknown, so a wrong address costs as long as a wrong
# password and the login form does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("pingsvc-no-such-account", "scrypt")


# Pages that show other people's text: no inline script, no framing, no leaking their URLs.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@bp.after_request
def secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def hash_password(password: str) -> str:
    return generate_password_hash(password, "scrypt")


def authenticate(db: Session, email: str, password: str) -> Account | None:
    """The account these credentials open, or None."""
    account = db.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None or not account.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


def _fingerprint(account: Account) -> str:
    # Stored in the session: changing the password ends every session opened with the old one.
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def log_in(account: Account) -> None:
    session.clear()
    session["account_id"] = account.id
    session["auth"] = _fingerprint(account)
    session["version"] = account.session_version
    session.permanent = True


def end_sessions(account: Account) -> None:
    """Revoke every session of the account (the caller commits): the cookie is signed, not
    stored, so clearing it in one browser leaves a copy of it valid; the version it carries
    is checked against the account's on every request instead."""
    account.session_version = (account.session_version or 0) + 1


def current_account() -> Account | None:
    """The logged-in account of this request, or None."""
    if "account" not in g:
        account = None
        account_id = session.get("account_id")
        if isinstance(account_id, int):
            found = db_session().get(Account, account_id)
            if (
                found is not None
                and session.get("auth") == _fingerprint(found)
                and session.get("version") == found.session_version
            ):
                account = found
        g.account = account
    return g.account  # type: ignore[no-any-return]


def account() -> Account:
    """The logged-in account, inside a view wrapped by `login_required`."""
    found = current_account()
    if found is None:  # pragma: no cover - login_required ran first
        raise RuntimeError("no logged-in account")
    return found


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page (401 for form posts)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            if request.method in ("GET", "HEAD"):
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            page = render_template("auth/login.html", error="Log in first.", next="")
            return page, 401
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Only paths on this service: never another host (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.overview")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    next_path = request.values.get("next", "")
    if request.method == "GET":
        if current_account() is not None:
            return redirect(_safe_next(next_path))
        return render_template("auth/login.html", error=None, next=next_path, email="")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    if not email.strip() or not password:
        error = "Enter your e-mail address and your password."
        return render_template("auth/login.html", error=error, next=next_path, email=email), 400
    found = authenticate(db_session(), email, password)
    if found is None:
        error = "That e-mail address and password do not match an account."
        return render_template("auth/login.html", error=error, next=next_path, email=email), 401
    log_in(found)
    return redirect(_safe_next(next_path), code=303)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    """Login pages answer errors (such as too many attempts) as pages, not JSON."""
    page = render_template(
        "dashboard/error.html", title=exc.name or "Error", message=exc.description or ""
    )
    return page, exc.code or 500


@bp.post("/logout")
def logout() -> BaseResponse:
    found = current_account()
    if found is not None:
        end_sessions(found)
        db_session().commit()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


# The machine endpoints other sites and scripts POST to: no session, so no CSRF token.
_PUBLIC_PREFIXES = ("/webmention/", "/xmlrpc/", "/api/")


def _is_public(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p) for p in _PUBLIC_PREFIXES)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the cookie's signer for a request
    that carries no session cookie (pings, API and widget reads): Flask builds it first and
    then finds no cookie to check, at a CPU cost paid on every accept (bench/README.md).
    Such a request gets the same empty session as before; a cookie is read as before."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Session cookie flags, CSRF on every form post outside the machine endpoints, login."""
    app.session_interface = CookieSessions()
    https = app.config["BASE_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="pingsvc_session",
        PERMANENT_SESSION_LIFETIME=timedelta(days=int(app.config["SESSION_DAYS"])),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, by path
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session that holds it
        WTF_CSRF_SSL_STRICT=https,
    )
    csrf.init_app(app)

    @app.before_request
    def _csrf_protect() -> None:
        if not _is_public(request.path):
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template(
            "dashboard/error.html",
            title="This form has expired",
            message="The form was not sent from a page of this service, or your session "
            "ended. Go back, reload the page and try again. "
            f"({exc.description})",
        ), 400

    app.register_blueprint(bp)
