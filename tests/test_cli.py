"""The `pingsvc` command: sites and users, with clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from pingsvc import create_app, demo, services
from pingsvc.cli import _service, main
from pingsvc.errors import PingError
from pingsvc.models import Account, Mention, Site
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
    assert listed.stdout == "blog.example\tpublish\t-\n"


def test_demo_seed_stores_the_demo_post_once(cli: CliRunner) -> None:
    seeded = cli.invoke(main, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    assert f"stored {len(demo.SAMPLES)} sample mentions" in seeded.stdout
    assert "http://127.0.0.1:8080/demo" in seeded.stdout
    again = cli.invoke(main, ["demo", "seed"])
    assert again.exit_code == 0 and "already has its mentions" in again.stdout
    app = create_app()
    with services(app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == demo.HOST))
        assert site is not None and site.policy == "hold_all"
        assert session.scalar(select(func.count()).select_from(Mention)) == len(demo.SAMPLES)
    services(app).db.dispose()


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


def test_the_default_data_folder_does_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingsvc.config import CHECKOUT, load

    monkeypatch.delenv("PINGSVC_VAR_DIR", raising=False)
    monkeypatch.delenv("PINGSVC_DATABASE_URL", raising=False)
    found = set()
    for folder in (tmp_path, CHECKOUT, CHECKOUT / "tests"):
        monkeypatch.chdir(folder)
        found.add((load()["VAR_DIR"], load()["DATABASE_URL"]))
    # The checkout's var/, where `make run` keeps it, wherever a command runs.
    assert found == {(str(CHECKOUT / "var"), f"sqlite:///{CHECKOUT / 'var' / 'pingsvc.sqlite3'}")}


def test_an_installed_package_keeps_its_data_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingsvc.config import default_var_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    site_packages = tmp_path / "site-packages"  # no pingsvc pyproject.toml beside the package
    site_packages.mkdir()
    assert default_var_dir(site_packages) == tmp_path / "data" / "pingsvc"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_var_dir(site_packages) == Path.home() / ".local" / "share" / "pingsvc"


def test_commands_say_which_database_they_used_and_warn_when_they_create_one(
    settings: dict[str, str], tmp_path: Path
) -> None:
    database = Path(settings["PINGSVC_VAR_DIR"]) / "pingsvc.sqlite3"
    added = _pingsvc(settings, "site", "add", "blog.example")
    assert added.returncode == 0, added.stderr
    assert f"database: sqlite:///{database}" in added.stderr
    assert f"warning: there was no database at {database}" in added.stderr
    listed = _pingsvc(settings, "site", "list")
    assert listed.stdout == "blog.example\tpublish\t-\n"  # stdout stays the list
    assert f"database: sqlite:///{database}" in listed.stderr
    assert "warning" not in listed.stderr  # it exists now


def test_serve_and_db_upgrade_create_the_database_without_a_warning(
    settings: dict[str, str],
) -> None:
    upgraded = _pingsvc(settings, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database: sqlite:///" in upgraded.stderr and "warning" not in upgraded.stderr


def test_a_database_left_in_the_current_folder_by_the_old_default_is_pointed_out(
    tmp_path: Path,
) -> None:
    from pingsvc.cli import stray_var_dir

    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "pingsvc.sqlite3").touch()
    elsewhere = f"sqlite:///{tmp_path / 'checkout' / 'var' / 'pingsvc.sqlite3'}"
    assert stray_var_dir({}, tmp_path, elsewhere) == tmp_path / "var"
    here = f"sqlite:///{tmp_path / 'var' / 'pingsvc.sqlite3'}"
    assert stray_var_dir({}, tmp_path, here) is None  # it is the one in use
    chosen = {"PINGSVC_VAR_DIR": str(tmp_path / "other")}
    assert stray_var_dir(chosen, tmp_path, elsewhere) is None  # the user chose
    assert stray_var_dir({}, tmp_path / "var", elsewhere) is None  # no var/ there


def test_a_refusal_inside_a_data_command_is_its_error_with_control_characters_escaped(
    cli: CliRunner,
) -> None:
    @click.command()
    def refuse() -> None:
        with _service():
            raise PingError("no \x1b[2J here")

    answer = cli.invoke(refuse)
    assert answer.exit_code == 1
    assert "database: " in answer.stderr  # the database was opened first
    assert "Error: no \\x1b[2J here" in answer.stderr and "\x1b" not in answer.output
    assert "Traceback" not in answer.output
