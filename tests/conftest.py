"""Fixtures: the app on a fresh embedded database, a real page server on 127.0.0.1, the
PostgreSQL + Redis settings for integration tests, and either_app for tests of both."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import create_app, services
from pingsvc.migrate import upgrade
from pingsvc.models import Site
from tests.support.pageserver import PageServer

POSTGRES_ADMIN_URL = os.environ.get(
    "PINGSVC_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("PINGSVC_TEST_REDIS", "redis://127.0.0.1:6379/11")
TEST_RUN = uuid.uuid4().hex[:8]
TARGET = "https://blog.example/post/1"


@pytest.fixture(scope="session")
def pages() -> Iterator[PageServer]:
    server = PageServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, pages: PageServer) -> dict[str, str]:
    """PINGSVC_* settings for an embedded install in a temporary folder; shared by the app
    under test and any worker process it starts."""
    return {
        "PINGSVC_VAR_DIR": str(tmp_path / "var"),
        "PINGSVC_FETCH_ALLOW": pages.hostport,
        "PINGSVC_RATE_LIMIT_ENABLED": "false",
        "PINGSVC_VERIFY_BACKOFF": "0.2",
        "PINGSVC_FETCH_TIMEOUT": "3",
        "PINGSVC_SWEEP_AFTER": "2",
        # A dead worker's mention is re-sent once its lease runs out: seconds, in tests.
        "PINGSVC_VERIFY_LEASE": "5",
        "PINGSVC_SWEEP_INTERVAL": "1",
        "PINGSVC_LOG_LEVEL": "WARNING",
        # A queue of its own per test, so tests (and parallel runs) sharing Redis never
        # consume each other's messages.
        "PINGSVC_QUEUE": f"pingsvc-test-{TEST_RUN}-{uuid.uuid4().hex[:6]}",
    }


def make_app(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Flask:
    for name in list(os.environ):
        if name.startswith("PINGSVC_") and not name.startswith("PINGSVC_TEST_"):
            monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    upgrade(app.config["DATABASE_URL"])
    with services(app).db.session() as session:
        session.add(Site(host="blog.example"))
        session.commit()
    return app


@pytest.fixture
def app(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(settings, monkeypatch)
    yield app
    services(app).db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import sqlalchemy as sa

    name = f"pingsvc_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis, after checking it answers. Tests keep apart by queue name."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    client.ping()
    yield REDIS_TEST_URL
    client.close()


@pytest.fixture
def production_settings(
    settings: dict[str, str], postgres_url: str, redis_url: str
) -> dict[str, str]:
    """The settings of a production install: PostgreSQL and Redis."""
    return {**settings, "PINGSVC_DATABASE_URL": postgres_url, "PINGSVC_REDIS_URL": redis_url}


@pytest.fixture
def production_app(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app of a production install, its database connections closed afterwards."""
    app = make_app(production_settings, monkeypatch)
    yield app
    services(app).db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def either_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """For a test that must hold on both installs: the embedded one's settings (SQLite, the
    filesystem broker), then a production one's (PostgreSQL, Redis)."""
    name = "settings" if request.param == "sqlite" else "production_settings"
    chosen: dict[str, str] = request.getfixturevalue(name)
    return chosen


@pytest.fixture
def either_app(either_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app of either install (either_settings), its database connections closed after."""
    app = make_app(either_settings, monkeypatch)
    yield app
    services(app).db.dispose()
