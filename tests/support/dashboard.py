"""Dashboard test helpers: accounts and sites stored through the models, and a
logged-in test client that sends the CSRF token its pages carry, as a browser does."""

from __future__ import annotations

import functools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pingsvc import services
from pingsvc.dashboard.auth import hash_password
from pingsvc.models import Account, Mention, Site
from tests.support.pageserver import QuietServer

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@functools.cache
def _hashed(password: str) -> str:
    return hash_password(password)  # scrypt is slow on purpose: hash each password once


def add_account(app: Flask, email: str, *, admin: bool = False, password: str = PASSWORD) -> int:
    with services(app).db.session() as session:
        account = Account(email=email, password_hash=_hashed(password), is_admin=admin)
        session.add(account)
        session.commit()
        return account.id


def add_site(app: Flask, host: str, owner_id: int | None, policy: str = "publish") -> int:
    """Register `host` for `owner_id` (or give the existing row that owner)."""
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == host))
        if site is None:
            site = Site(host=host)
            session.add(site)
        site.owner_id, site.policy = owner_id, policy
        session.commit()
        return site.id


def mention_row(app: Flask, mention_id: int) -> Mention:
    with services(app).db.session() as session:
        found = session.get(Mention, mention_id)
        assert found is not None
        return found


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The token a page of ours carries in its forms."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"{path} has no CSRF field ({page.status_code})"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


class Browser:
    """A logged-in test client whose form posts carry the CSRF token, like a real browser."""

    def __init__(self, client: FlaskClient, email: str) -> None:
        self.client = client
        answer = login(client, email)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        self.token = csrf_token(client, "/dashboard/")

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def text(self, path: str) -> str:
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code, page.get_data(as_text=True))
        return page.get_data(as_text=True)


class Trap:
    """A TCP listener on 127.0.0.1 whose port is NOT in PINGSVC_FETCH_ALLOW: it counts the
    connections it gets, which must stay at zero."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> Trap:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes


class HookReceiver:
    """A real HTTP server on 127.0.0.1 that records the webhook calls it gets and answers
    each with the next status of `statuses` (the last one repeats), after the next delay of
    `delays` seconds (none once they are used up)."""

    def __init__(self, statuses: tuple[int, ...] = (200,)) -> None:
        self.calls: list[Call] = []
        self.statuses = list(statuses)
        self.delays: list[float] = []
        self.location: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.calls.append(Call(self.path, dict(self.headers.items()), body))
                if receiver.delays:
                    time.sleep(receiver.delays.pop(0))
                    self.close_connection = True  # the caller has likely hung up meanwhile
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else (
                    receiver.statuses[0])  # fmt: skip
                try:
                    self.send_response(status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the caller gave up waiting (a delayed answer)
                    self.close_connection = True

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.hostport = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.hostport}{path}"

    def json(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.calls[index].body)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
