"""Database engine and sessions, usable with or without Flask (the worker and CLI share it),
and what an app's views, tasks and commands share: services() and the request's db_session()."""

from __future__ import annotations

import logging
import select
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(foreign_keys: bool) -> Any:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the web process read while a worker writes; busy_timeout waits instead of
        # failing.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return set_pragmas


def _check_idle(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """On checkout from the pool: a PostgreSQL connection the server closed or wrote to while
    it sat idle (pg_terminate_backend, a restart and idle timeouts send FATAL, then EOF) is
    replaced. Asking the socket costs no round trip, where pool_pre_ping sent a SELECT 1
    (and its BEGIN) before every unit of work; an idle connection is never sent anything."""
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed, or wrote to, an idle pooled connection")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def display_url(url: str) -> str:
    """The URL without its password, to show which database a command used."""
    return make_url(url).render_as_string(hide_password=True)


# Connections kept open per process; a process running more threads than this asks for a
# bigger pool (worker.celery_app sizes the worker's pool to its concurrency, create_app a web
# process's to PINGSVC_WEB_THREADS).
POOL_SIZE = 10


def make_engine(url: str, *, foreign_keys: bool = True, pool_size: int = POOL_SIZE) -> Engine:
    """An engine for `url`; SQLite files get their folder created and concurrency pragmas.
    Every thread may hold a connection at once: the pool keeps `pool_size` of them open, so
    connections are not opened and closed (a PostgreSQL backend forked) per task.

    Migrations pass foreign_keys=False: Alembic's batch mode rebuilds a SQLite table by
    dropping it, and with foreign keys on, that drop would cascade-delete the rows that
    reference it (every mention of a site whose table is rebuilt).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    # A file database has no server to drop connections; PostgreSQL's are checked by
    # _check_idle instead of a ping.
    kwargs: dict[str, Any] = {
        "pool_pre_ping": backend not in ("sqlite", "postgresql"),
        "future": True,
    }
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=20, pool_recycle=1800)
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(foreign_keys))
    elif backend == "postgresql":
        event.listen(engine, "checkout", _check_idle)
    return engine


class Database:
    """One engine and its session factory; the Flask app and the worker each hold one."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # The same pool, for statements that commit themselves: no BEGIN and COMMIT round
        # trips (psycopg switches autocommit on the checked-out connection without one).
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def execute_autocommit(
        self, sql: str, params: dict[str, Any]
    ) -> tuple[Sequence[Any] | None, bool]:
        """Run one self-committing statement (driver SQL); return its first row (None when it
        answers no rows), and whether it had to be sent a second time. _check_idle replaces a
        pooled connection the server closed while it sat idle; one that dies after that check
        (between checkout and statement, or before the server's FATAL arrived) fails the
        statement, that connection is invalidated (the pool's others are checked at their own
        checkout), and the statement goes once more on a new connection (SQLAlchemy's
        documented "supporting reconnect operations" pattern)."""
        for attempt in (1, 2):
            try:
                return self._driver_autocommit(sql, params), attempt > 1
            except DBAPIError as exc:
                if attempt > 1 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _driver_autocommit(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
        """One try of execute_autocommit, on the pooled driver connection itself: SQLAlchemy's
        Connection, execution context and Result cost more CPU than the statement's own
        driver work (bench/README.md). What they did that matters here is done the same way:
        the pool's checkout (and its _check_idle), autocommit for the statement only, a
        failure raised as SQLAlchemy's DBAPIError subclass (OperationalError: 503), and a
        disconnect invalidating the connection (`connection_invalidated`, so the caller
        sends it again on a new one)."""
        dialect = self.engine.dialect
        error = dialect.loaded_dbapi.Error
        try:
            pooled = self.engine.raw_connection()
        except error as exc:  # as Engine.connect() raises it: no server, refused, ...
            gone = dialect.is_disconnect(exc, None, None)
            raise DBAPIError.instance(
                None, None, exc, error, connection_invalidated=gone, dialect=dialect
            ) from exc
        try:
            driver: Any = pooled.driver_connection
            try:
                driver.autocommit = True
                try:
                    with driver.cursor() as cursor:
                        cursor.execute(sql, params)
                        return cursor.fetchone() if cursor.description is not None else None
                finally:
                    if not driver.broken:
                        driver.autocommit = False
            except error as exc:
                gone = dialect.is_disconnect(exc, driver, None)
                if gone:
                    pooled.invalidate(exc)
                raise DBAPIError.instance(
                    sql, params, exc, error, connection_invalidated=gone, dialect=dialect
                ) from exc
        finally:
            pooled.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that rolls back on error and always closes."""
        session = self.sessionmaker()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass
class Services:
    """What views, tasks and commands share: the database and the verification settings."""

    db: Database
    # pingsvc.pipeline.steps.PipelineSettings; not named here, so the database layer imports
    # nothing of the pipeline (which imports it).
    pipeline: Any


def services(app: Flask | None = None) -> Services:
    from flask import current_app

    return (app or current_app).extensions["pingsvc"]


def db_session() -> Any:
    """The request's SQLAlchemy session (opened on first use, closed at teardown)."""
    from flask import g

    if "db_session" not in g:
        g.db_session = services().db.sessionmaker()
    return g.db_session


def rollback_quietly(session: Session | None) -> None:
    """Roll back `session` (if any) while answering a database outage: its connection may
    be gone already, so a rollback that fails is noted at debug level, never raised over
    the answer being given."""
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone
        log.debug("rollback after a lost connection failed", exc_info=True)
