"""Accounts and login: scrypt passwords, the session cookie's flags, CSRF on every form (but
not on the machine endpoints), logout, safe redirects, and the login rate limit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import services
from pingsvc.cli import main
from pingsvc.dashboard.auth import hash_password
from pingsvc.models import Account
from tests.conftest import make_app
from tests.support.dashboard import PASSWORD, Browser, add_account, csrf_token, login


@pytest.fixture
def alice(app: Flask) -> int:
    return add_account(app, "alice@example.com")


def _cookie_header(answer: Any) -> str:
    cookies = [v for k, v in answer.headers.items() if k.lower() == "set-cookie"]
    (cookie,) = [c for c in cookies if c.startswith("pingsvc_session=")]
    return cookie


def test_dashboard_sends_visitors_to_the_login_page(client: FlaskClient) -> None:
    answer = client.get("/dashboard/inbox?state=held")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")
    assert "inbox" in answer.headers["Location"]


def test_login_page_is_a_form_with_a_csrf_token(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="csrf_token"' in text and 'type="password"' in text


def test_right_password_logs_in_with_a_safe_cookie(client: FlaskClient, alice: int) -> None:
    answer = login(client, "Alice@Example.com ")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/dashboard/"
    cookie = _cookie_header(answer)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here: a Secure cookie would never come back
    assert "alice@example.com" in client.get("/dashboard/").get_data(as_text=True)


def test_session_cookie_is_secure_when_the_service_is_on_https(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app({**settings, "PINGSVC_BASE_URL": "https://mentions.example"}, monkeypatch)
    add_account(app, "alice@example.com")
    client = app.test_client()
    page = client.get("/login", base_url="https://mentions.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/login",
        data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://mentions.example/login"},
        base_url="https://mentions.example",
    )
    assert answer.status_code == 303
    assert "Secure" in _cookie_header(answer)
    services(app).db.dispose()


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-account"],
)
def test_bad_credentials_are_refused_without_saying_which_part_was_wrong(
    client: FlaskClient, alice: int, email: str, password: str
) -> None:
    answer = login(client, email, password)
    assert answer.status_code == 401
    assert "do not match an account" in answer.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_empty_login_form_says_what_is_missing(client: FlaskClient) -> None:
    token = csrf_token(client)
    answer = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    assert answer.status_code == 400
    assert "Enter your e-mail address and your password" in answer.get_data(as_text=True)


def test_login_without_the_csrf_token_is_refused(client: FlaskClient, alice: int) -> None:
    answer = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD})
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_logout_ends_the_session(client: FlaskClient, alice: int) -> None:
    browser = Browser(client, "alice@example.com")
    answer = browser.post("/logout")
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    assert client.get("/dashboard/").status_code == 302


def test_a_copied_session_cookie_stops_working_at_logout(
    app: Flask, client: FlaskClient, alice: int
) -> None:
    """The cookie is signed, not stored: a copy taken before logout (another tab, a stolen
    cookie) would stay valid for PINGSVC_SESSION_DAYS unless the server revokes it."""
    browser = Browser(client, "alice@example.com")
    cookie = client.get_cookie("pingsvc_session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("pingsvc_session", cookie.value)
    assert thief.get("/dashboard/").status_code == 200
    assert browser.post("/logout").status_code == 303
    assert thief.get("/dashboard/").status_code == 302
    assert client.get("/dashboard/").status_code == 302
    again = Browser(app.test_client(), "alice@example.com")  # logging in again works
    assert again.get("/dashboard/").status_code == 200
    assert thief.get("/dashboard/").status_code == 302


def test_logout_needs_the_csrf_token(client: FlaskClient, alice: int) -> None:
    Browser(client, "alice@example.com")
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_to_another_site(
    client: FlaskClient, alice: int, target: str
) -> None:
    token = csrf_token(client)
    answer = client.post(
        "/login",
        data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token,
              "next": target},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/dashboard/"


def test_login_returns_to_the_page_asked_for(client: FlaskClient, alice: int) -> None:
    token = csrf_token(client)
    answer = client.post(
        "/login",
        data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token,
              "next": "/dashboard/inbox?state=held"},
    )  # fmt: skip
    assert answer.headers["Location"] == "/dashboard/inbox?state=held"


def test_changing_the_password_ends_existing_sessions(
    app: Flask, client: FlaskClient, alice: int
) -> None:
    Browser(client, "alice@example.com")
    with services(app).db.session() as session:
        account = session.get(Account, alice)
        assert account is not None
        account.password_hash = hash_password("a brand new password")
        session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_a_deleted_account_is_logged_out(app: Flask, client: FlaskClient, alice: int) -> None:
    Browser(client, "alice@example.com")
    with services(app).db.session() as session:
        session.delete(session.get(Account, alice))
        session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_cli_user_add_stores_an_scrypt_hash_that_logs_in(app: Flask, client: FlaskClient) -> None:
    result = CliRunner().invoke(
        main, ["user", "add", "carol@example.com", "--password-stdin"],
        input="long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with services(app).db.session() as session:
        stored = session.scalar(select(Account).where(Account.email == "carol@example.com"))
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("scrypt:")
        assert "long enough password" not in stored.password_hash
    assert login(client, "carol@example.com", "long enough password").status_code == 303


def _paths(app: Flask, method: str) -> list[str]:
    """Every dashboard URL answering `method`, with 1 for each id."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/dashboard")]
    return [re.sub(r"<id:\w+>", "1", r.rule) for r in rules if method in (r.methods or set())]


def test_every_dashboard_page_needs_a_login(app: Flask, client: FlaskClient) -> None:
    pages = _paths(app, "GET")
    assert len(pages) >= 6
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/login")


def test_every_dashboard_form_refuses_visitors(app: Flask, client: FlaskClient) -> None:
    forms = _paths(app, "POST")
    assert len(forms) >= 14
    for path in forms:
        # Without a session there is no valid CSRF token either: refused before the view.
        answer = client.post(path, data={"action": "approve", "ids": "1"})
        assert answer.status_code == 400, (path, answer.status_code)


def test_every_dashboard_form_needs_the_csrf_token(
    app: Flask, client: FlaskClient, alice: int
) -> None:
    Browser(client, "alice@example.com")
    forms = _paths(app, "POST")
    assert len(forms) >= 14
    for path in forms:
        answer = client.post(path, data={"action": "approve", "ids": "1"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert "This form has expired" in answer.get_data(as_text=True)


def test_machine_endpoints_need_no_csrf_token(client: FlaskClient) -> None:
    answer = client.post(
        "/webmention",
        data={"source": "https://elsewhere.example/a", "target": "https://blog.example/post/1"},
    )
    assert answer.status_code == 201
    ping = client.post(
        "/xmlrpc",
        data=b"<?xml version='1.0'?><methodCall><methodName>system.listMethods</methodName>"
        b"<params></params></methodCall>",
        content_type="text/xml",
    )
    assert ping.status_code == 200
    assert b"CSRF" not in ping.data


def test_login_attempts_are_rate_limited(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(
        {**settings, "PINGSVC_RATE_LIMIT_ENABLED": "true", "PINGSVC_LOGIN_RATE_LIMIT": "3/minute"},
        monkeypatch,
    )
    add_account(app, "alice@example.com")
    client = app.test_client()
    codes = [login(client, "alice@example.com", "wrong password").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    services(app).db.dispose()


def test_a_request_without_a_session_cookie_builds_no_signer(
    app: Flask, client: FlaskClient, alice: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ping or a read carries no session cookie: it gets an empty session without the
    cookie's signer being built (CPU on every accept); a logged-in browser's cookie is
    still checked, and a forged one still refused."""
    interface = app.session_interface
    built: list[object] = []
    original = type(interface).get_signing_serializer

    def counting(self: Any, flask_app: Flask) -> Any:
        built.append(self)
        return original(self, flask_app)

    monkeypatch.setattr(type(interface), "get_signing_serializer", counting)
    answer = client.post("/webmention", data={"source": "https://a.example/", "target": "x"})
    assert answer.status_code == 400
    assert client.get("/dashboard/").status_code == 302  # a visitor: to the login page
    assert built == []
    assert login(client, "alice@example.com").status_code == 303
    assert built  # the login wrote the cookie, and each request now reads it
    assert "alice@example.com" in client.get("/dashboard/").get_data(as_text=True)
    client.set_cookie("pingsvc_session", "forged.value.sig")
    assert client.get("/dashboard/").status_code == 302
