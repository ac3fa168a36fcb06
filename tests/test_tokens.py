"""Site API tokens: `pingsvc site token HOST` shows one once, only its hash is stored, and a
new one replaces the old."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from pingsvc import services
from pingsvc.cli import main
from pingsvc.models import Site
from pingsvc.tokens import hash_token, site_for_token


@pytest.fixture
def cli(app: Flask) -> CliRunner:
    """The command line on the same settings (and database) as `app`."""
    return CliRunner()


def stored_hash(app: Flask) -> str | None:
    with services(app).db.session() as session:
        return session.scalar(select(Site.token_hash).where(Site.host == "blog.example"))


def test_site_token_prints_a_token_once_and_stores_only_its_hash(
    app: Flask, cli: CliRunner
) -> None:
    result = cli.invoke(main, ["site", "token", "https://Blog.Example/"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    assert "won't be shown again" in result.stderr
    assert stored_hash(app) == hashlib.sha256(token.encode()).hexdigest() != token
    response = app.test_client().get(f"/api/mentions.jf2?domain=blog.example&token={token}")
    assert response.status_code == 200


def test_the_api_url_shown_says_when_it_only_guesses_the_address(
    app: Flask, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PINGSVC_BASE_URL", raising=False)
    guessed = cli.invoke(main, ["site", "token", "blog.example"])
    assert "http://127.0.0.1:8080/api/mentions.jf2?domain=blog.example" in guessed.stderr
    assert "PINGSVC_BASE_URL is unset" in guessed.stderr
    monkeypatch.setenv("PINGSVC_BASE_URL", "https://mentions.example.org/")
    told = cli.invoke(main, ["site", "token", "blog.example"])
    assert "https://mentions.example.org/api/mentions.jf2?domain=blog.example" in told.stderr
    assert "PINGSVC_BASE_URL" not in told.stderr


def test_a_new_token_replaces_the_old_one(app: Flask, cli: CliRunner) -> None:
    old = cli.invoke(main, ["site", "token", "blog.example"]).stdout.strip()
    new = cli.invoke(main, ["site", "token", "blog.example"]).stdout.strip()
    assert old != new
    client = app.test_client()
    assert client.get(f"/api/mentions.jf2?domain=blog.example&token={old}").status_code == 401
    assert client.get(f"/api/mentions.jf2?domain=blog.example&token={new}").status_code == 200


def test_a_token_for_an_unregistered_host_is_a_clear_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["site", "token", "nowhere.example"])
    assert result.exit_code != 0 and "not registered" in result.output


def test_lookup_by_token_finds_the_site_or_nothing(app: Flask) -> None:
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "blog.example"))
        assert site is not None
        site.token_hash = hash_token("correct-horse")
        session.commit()
        found = site_for_token(session, "correct-horse")
        assert found is not None and found.host == "blog.example"
        assert site_for_token(session, "wrong") is None
        assert site_for_token(session, "") is None
        assert site_for_token(session, "x" * 300) is None
