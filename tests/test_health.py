"""/healthz says the process is up; /readyz says the database and the broker are usable, and
names the part that is not with a 503."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pingsvc import create_app, services
from tests.conftest import make_app
from tests.support.services import free_port


def test_healthz_answers_while_the_process_runs(client: FlaskClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_and_broker_work(either_app: Flask) -> None:
    """Embedded (SQLite, the broker folder) and production (PostgreSQL, Redis)."""
    answer = either_app.test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readyz_is_503_naming_the_broker_when_its_folder_is_gone(
    app: Flask, client: FlaskClient
) -> None:
    shutil.rmtree(Path(app.config["VAR_DIR"]) / "queue")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["database"] == "ok"
    assert "embedded broker folder" in body["broker"] and "missing" in body["broker"]


def test_readyz_is_503_naming_redis_when_it_does_not_answer(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loopback port nobody listens on: the ping fails at once.
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app({**settings, "PINGSVC_REDIS_URL": dead}, monkeypatch)
    try:
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        body = answer.get_json()
        assert body["failed"] == ["broker"]
        assert body["database"] == "ok"
        assert body["broker"].startswith("Redis did not answer PING")
    finally:
        services(app).db.dispose()


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    dead = f"postgresql+psycopg://pingsvc@127.0.0.1:{free_port()}/pingsvc?connect_timeout=2"
    monkeypatch.setenv("PINGSVC_DATABASE_URL", dead)
    app = create_app({"TESTING": True})
    try:
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        body = answer.get_json()
        assert body["failed"] == ["database"]
        assert body["broker"] == "ok"
        assert body["database"].startswith("the database did not answer")
    finally:
        services(app).db.dispose()
