"""The `pingsvc` command: sites and users, with clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from pingsvc import create_app, services
from pingsvc.cli import main
from pingsvc.models import Account, Site
from tests.support.services import env_for


@pytest.fixture
def cli(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_site_add_registers_the_host_and_site_list_shows_it(cli: CliRunner) -> None:
    added = cli.invoke(main, ["site", "add", "https://Blog.Example/"])
    assert added.exit_code == 0, added.output
    assert "registered blog.example" in added.output
    listed = cli.invoke(main, ["site", "list"])
    assert listed.output.startswith("blog.example\tpublish\t-")


def test_adding_a_site_twice_is_a_clear_error(cli: CliRunner) -> None:
    cli.invoke(main, ["site", "add", "blog.example"])
    again = cli.invoke(main, ["site", "add", "blog.example"])
    assert again.exit_code != 0
    assert "already registered" in again.output


def test_user_add_reads_the_password_from_stdin_and_stores_only_a_hash(cli: CliRunner) -> None:
    made = cli.invoke(
        main, ["user", "add", "Owner@Example.org", "--password-stdin"], input="s3cret-pass\n"
    )
    assert made.exit_code == 0, made.output
    owned = cli.invoke(main, ["site", "add", "blog.example", "--owner", "owner@example.org"])
    assert owned.exit_code == 0, owned.output
    with services(create_app()).db.session() as session:
        account = session.scalars(select(Account)).one()
        assert account.email == "owner@example.org"
        assert account.password_hash and "s3cret" not in account.password_hash
        assert check_password_hash(account.password_hash, "s3cret-pass")
        site = session.scalars(select(Site)).one()
        assert site.owner_id == account.id


def test_short_passwords_and_unknown_owners_are_refused(cli: CliRunner) -> None:
    short = cli.invoke(main, ["user", "add", "a@example.org", "--password-stdin"], input="x\n")
    assert short.exit_code != 0 and "at least 8" in short.output
    orphan = cli.invoke(main, ["site", "add", "blog.example", "--owner", "nobody@example.org"])
    assert orphan.exit_code != 0 and "no account" in orphan.output


def test_serve_refuses_a_busy_port_before_starting_anything(cli: CliRunner) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli.invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output


def test_serve_starts_one_worker_per_core_unless_told_how_many() -> None:
    import os

    from pingsvc.cli import worker_processes

    assert worker_processes(3) == 3
    assert worker_processes(0) == max(1, min(4, os.cpu_count() or 1))


def _pingsvc(settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pingsvc.cli", *args],
        env=env_for(settings), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_commands_log_only_warnings_unless_verbose(settings: dict[str, str]) -> None:
    settings = {**settings, "PINGSVC_LOG_LEVEL": "INFO"}  # the default
    quiet = _pingsvc(settings, "db", "upgrade")
    assert quiet.returncode == 0, quiet.stderr
    assert '"level": "INFO"' not in quiet.stderr and "alembic" not in quiet.stderr
    assert "database is up to date" in quiet.stdout
    verbose = _pingsvc(settings, "--verbose", "site", "list")
    assert verbose.returncode == 0, verbose.stderr
    assert '"logger": "alembic.runtime.migration"' in verbose.stderr
