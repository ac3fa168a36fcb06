"""Migrations: every revision upgrades a database that already holds data without losing it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from pingsvc.migrate import alembic_config, upgrade


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _seed(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO site (id, host, policy, created_at) "
                "VALUES (1, 'blog.example', 'publish', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO mention (id, site_id, source, source_host, target, target_key, "
                "protocol, status, attempts, received_at, updated_at, changed, extra) VALUES "
                "(1, 1, 'https://a.example/1', 'a.example', 'https://blog.example/p', "
                "'blog.example/p', 'webmention', 'approved', 0, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00', true, '{}')"
            )
        )
    engine.dispose()


def _mentions(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM mention")).scalar_one()
    engine.dispose()
    return int(count)


def test_upgrading_sqlite_from_the_first_revision_keeps_every_mention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    first, *later = _revisions(url)
    upgrade(url, first)
    _seed(url)
    upgrade(url)
    assert later == [] or _mentions(url) == 1
    assert _mentions(url) == 1


def test_upgrading_postgres_from_the_first_revision_keeps_every_mention(
    postgres_url: str,
) -> None:
    first, *_ = _revisions(postgres_url)
    upgrade(postgres_url, first)
    _seed(postgres_url)
    upgrade(postgres_url)
    assert _mentions(postgres_url) == 1
