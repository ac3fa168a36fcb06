"""docker-compose.yml can't run here (no Docker engine): check its shape and that every
command it names exists in this install."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_describes_every_part_with_healthchecks() -> None:
    for name in ("web", "worker", "beat", "redis", "postgres"):
        assert name in SERVICES, name
        assert "healthcheck" in SERVICES[name], f"{name} has no healthcheck"
    assert SERVICES["postgres"]["volumes"] and SERVICES["redis"]["volumes"]


def test_compose_runs_migrations_before_web_and_worker() -> None:
    assert SERVICES["migrate"]["command"] == ["pingsvc", "db", "upgrade"]
    for name in ("web", "worker", "beat"):
        condition = SERVICES[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_compose_points_the_app_at_postgres_and_redis() -> None:
    env = SERVICES["web"]["environment"]
    assert env["PINGSVC_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["PINGSVC_REDIS_URL"].startswith("redis://redis:6379")


def _bin(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "beat"])
def test_every_command_compose_names_exists(service: str) -> None:
    command = list(SERVICES[service]["command"])
    program, args = command[0], command[1:]
    assert program in {"pingsvc", "celery"}
    # Ask each command for its help: it must parse the same subcommands and options.
    if program == "celery":
        subcommand = args[2]
        probe = [_bin("celery"), *args[:2], subcommand, "--help"]
    else:
        first_option = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
        words = args[:first_option]
        probe = [_bin("pingsvc"), *words, "--help"]
        options = {a for a in args if a.startswith("--")}
        help_text = subprocess.run(probe, capture_output=True, text=True, cwd=ROOT).stdout
        for option in options:
            assert option in help_text, f"pingsvc {' '.join(words)} has no {option}"
    result = subprocess.run(probe, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
