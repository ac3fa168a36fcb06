"""pingsvc.db: the self-committing statement on the pooled driver connection
(Database.execute_autocommit), on PostgreSQL. Its reconnect is proven in
tests/security/test_crashes.py (a connection dying mid-statement, every connection dropped,
no server at all)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from pingsvc.db import Database


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url, pool_size=1)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE item (id serial PRIMARY KEY, name text UNIQUE)")
    yield db
    db.dispose()


def _names(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT name FROM item ORDER BY id")))


@pytest.mark.integration
def test_the_statement_commits_itself_and_answers_its_first_row(database: Database) -> None:
    row, sent_twice = database.execute_autocommit(
        "INSERT INTO item (name) VALUES (%(name)s) RETURNING id, name", {"name": "a"}
    )
    assert row is not None and tuple(row) == (1, "a") and not sent_twice
    assert _names(database) == ["a"]  # committed: another connection sees it
    none, _ = database.execute_autocommit("SELECT name FROM item WHERE false", {})
    assert none is None
    rowless, _ = database.execute_autocommit("UPDATE item SET name = 'b'", {})
    assert rowless is None and _names(database) == ["b"]


@pytest.mark.integration
def test_the_connection_goes_back_to_the_pool_out_of_autocommit(database: Database) -> None:
    database.execute_autocommit("INSERT INTO item (name) VALUES (%(name)s)", {"name": "a"})
    with pytest.raises(sa.exc.IntegrityError) as raised:  # SQLAlchemy's, as before
        database.execute_autocommit("INSERT INTO item (name) VALUES (%(name)s)", {"name": "a"})
    assert not raised.value.connection_invalidated  # a failed statement is not sent again
    assert database.engine.pool.checkedout() == 0
    with database.engine.connect() as conn:  # the one pooled connection, both times
        conn.exec_driver_sql("INSERT INTO item (name) VALUES ('b')")
        conn.rollback()  # a transaction again: the insert is undone
    assert _names(database) == ["a"]
    assert database.engine.pool.checkedin() == 1


@pytest.mark.integration
def test_a_bad_statement_raises_sqlalchemy_s_error(database: Database) -> None:
    with pytest.raises(sa.exc.ProgrammingError):
        database.execute_autocommit("SELECT nothing FROM nowhere", {})
    row, _ = database.execute_autocommit("SELECT count(*) FROM item", {})
    assert row is not None and row[0] == 0
