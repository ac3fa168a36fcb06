"""The change feed's one writer: `record()` notes, in the writer's own transaction, that some
mentions may look different now; /api/changes.json (pingsvc.api.changes) reads the notes.

Every write that can change what a mention's feed entry shows calls `record()` with the ids
of the mentions it changed: a verdict (pipeline/store.py), the owner's decisions and blocks
(dashboard), an import. The mentions' replies and copies are recorded with them, because
their entries name a parent only while it is shown, and a copy is shown or not by its
original.

Why a reader never misses a change committed out of order
---------------------------------------------------------
A reader asks for the lines after its cursor, the id of the last line it applied. That is
only safe if a line can never become visible with an id below one a reader has already seen.
Ids from a sequence alone don't promise that: A takes 10, B takes 11, B commits, a reader
reads 11 and moves its cursor past 10, then A commits 10 and is never read. So:

- PostgreSQL: a per-site advisory lock (`pg_advisory_xact_lock`), held until the end of the
  transaction, that writers take *shared* and readers take *exclusive*. The statement that
  writes the lines takes the shared lock first, and only then draws the ids; a reader takes
  the exclusive lock in a statement of its own and only then reads (`hold_for_reading`), so
  its read's snapshot is taken while no writer of the site is between drawing its ids and
  committing them. Every line it can see is then committed (PostgreSQL makes a commit
  visible before it releases the transaction's locks), and every line drawn after it lets
  go has a higher id. Writers never wait for each other (the lock is shared), only for a
  reader, and a reader only for the writers already inside their commit; PostgreSQL queues
  a new shared request behind a waiting exclusive one, so readers aren't starved.
- SQLite: one writer at a time holds the database's write lock from its first write to its
  commit, so ids are drawn in commit order already; AUTOINCREMENT keeps an id from ever being
  handed out twice.

So `record()` must be the transaction's last statement before its commit: the lock is then
held only for the commit itself, so a reader (and the writers queued behind it) wait for no
more than that. Call it once per transaction.

A line only says "look again at this mention": the feed answers with the mention as it is
when read, so lines of rolled-back or repeated changes are harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from pingsvc.models import utcnow

# The advisory lock namespace (first key) of the change feed's per-site locks ("chng").
LOCK_CLASS = 0x63686E67

# The mentions changed, their replies and their copies.
_TOUCHED = (
    "SELECT site_id, id, target FROM mention "
    "WHERE id IN :ids OR parent_id IN :ids OR duplicate_of_id IN :ids"
)

# A reader's exclusive hold on one site's lines (see hold_for_reading).
_HOLD = text("SELECT pg_advisory_xact_lock(:lock_class, :site_id)")


@cache
def _statement(dialect: str) -> TextClause:
    """One INSERT … SELECT (with the shared lock, on PostgreSQL): one round trip a transaction."""
    if dialect == "postgresql":
        sql = (
            "INSERT INTO mention_change (site_id, mention_id, target, created_at) "
            f"WITH touched AS MATERIALIZED ({_TOUCHED}), "
            # Shared, in site order: a reader holds one lock at a time, so nobody deadlocks.
            "locked AS MATERIALIZED "
            "(SELECT count(pg_advisory_xact_lock_shared(:lock_class, site_id)) "
            "AS n FROM (SELECT DISTINCT site_id FROM touched ORDER BY site_id) AS sites) "
            # Joined to `locked` and sorted: every row, so the locks, before the first id.
            "SELECT touched.site_id, touched.id, touched.target, :now "
            "FROM touched CROSS JOIN locked WHERE locked.n >= 0 ORDER BY touched.id"
        )
    else:
        sql = (
            "INSERT INTO mention_change (site_id, mention_id, target, created_at) "
            f"SELECT site_id, id, target, :now FROM ({_TOUCHED}) AS touched ORDER BY id"
        )
    return text(sql).bindparams(bindparam("ids", expanding=True))


def record(conn: Connection | Session, mention_ids: Iterable[int]) -> None:
    """Note that these mentions (and their replies and copies) may have changed, in the
    caller's transaction. Call it last, just before the commit, once per transaction."""
    ids = sorted(set(mention_ids))
    if not ids:
        return
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    conn.execute(_statement(dialect), {"ids": ids, "lock_class": LOCK_CLASS, "now": utcnow()})


def hold_for_reading(session: Session, site_id: int) -> None:
    """Wait until no writer of the site is inside its commit, and keep new ones out until the
    session's transaction ends (PostgreSQL; nothing to do on SQLite). Read the lines next, in
    the same transaction, then end it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_HOLD, {"lock_class": LOCK_CLASS, "site_id": site_id})
