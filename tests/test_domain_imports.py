"""Domain code imports no web framework, task queue or network module, not even for a type:
it stays a set of plain functions over values that a test can call without a server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.imports import fresh_imports

PACKAGE = Path(__file__).resolve().parent.parent / "pingsvc"
DOMAIN = [
    "pipeline/relations.py",
    "fetch/page.py",
    "extract/links.py",
    "extract/entry.py",
    "extract/mf2.py",
    "extract/excerpt.py",
    "extract/authorship.py",
    "fetch/discovery.py",
    "send/feeds.py",
    "send/links.py",
    "spam.py",
]
FORBIDDEN = {
    "flask",
    "werkzeug",
    "celery",
    "kombu",
    "requests",
    "urllib3",
    "socket",
    "http",
    "smtplib",
    "ssl",
    # pingsvc's own modules that open connections or queue tasks
    "pingsvc.fetch.client",
    "pingsvc.fetch.addresses",
    "pingsvc.fetch.deadline",
    "pingsvc.fetch.sitecheck",
    "pingsvc.send.deliver",
    "pingsvc.tasking",
}


def imported(path: Path) -> set[str]:
    """Every module `path` imports anywhere in it (TYPE_CHECKING blocks and functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_import_no_framework_queue_or_network_module(module: str) -> None:
    assert sorted(n for n in imported(PACKAGE / module) if forbidden(n)) == []


def test_the_check_sees_an_import_made_only_for_a_type(tmp_path: Path) -> None:
    source = tmp_path / "typed.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from requests import Session\n"
    )
    assert sorted(n for n in imported(source) if forbidden(n)) == ["requests", "requests.Session"]


# What importing a domain module loads with it: the package's own __init__ and every module
# on the way count.
LOADED = [
    "pingsvc.extract",
    "pingsvc.fetch.page",
    "pingsvc.moderation",
    "pingsvc.pipeline.relations",
    "pingsvc.spam",
]
FRAMEWORKS = ["flask", "werkzeug", "celery", "kombu"]


def test_importing_domain_code_loads_no_web_framework_or_task_queue() -> None:
    """Not even through pingsvc/__init__.py or pingsvc.errors, which every stage imports."""
    loaded, frameworks = fresh_imports(LOADED, FRAMEWORKS)
    assert {"pingsvc.extract.entry", "pingsvc.extract.links", *LOADED} <= loaded
    assert frameworks == []
