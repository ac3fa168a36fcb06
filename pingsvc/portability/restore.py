"""restore(): reads pingsvc exports back into a database, keeping ids where they are free."""

from __future__ import annotations

import bisect
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pingsvc import changelog
from pingsvc.db import Database
from pingsvc.portability.importer import ImportFormatError, Report
from pingsvc.portability.layout import BY_NAME, FORMAT, VERSION, Kind, decode
from pingsvc.sanitize import clean_html

# Records stored per transaction: a bad one rolls back its batch and nothing after it is read.
BATCH_SIZE = 500
ALREADY = "already imported"
# The largest id a record may have (PostgreSQL's integer).
MAX_ID = 2**31 - 1


class IdMap:
    """For one kind: the id each record of the file has in the database. Kept ids are held
    as runs (an export lists them in order, so a restore into an empty database needs a
    handful of runs, not an entry per row); only rows that had to take another id, because
    theirs was taken or they were already there, get an entry of their own."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.moved: dict[int, int] = {}

    def keep(self, old: int) -> None:
        if self.ends and self.ends[-1] + 1 == old:
            self.ends[-1] = old
        elif not self.ends or old > self.ends[-1]:
            self.starts.append(old)
            self.ends.append(old)
        else:  # out of order: a hand-made file
            self.moved[old] = old

    def map(self, old: int, new: int) -> None:
        if old == new:
            self.keep(old)
        else:
            self.moved[old] = new

    def get(self, old: int) -> int | None:
        if old in self.moved:
            return self.moved[old]
        index = bisect.bisect_right(self.starts, old) - 1
        if index >= 0 and old <= self.ends[index]:
            return old
        return None


@dataclass
class _State:
    maps: dict[str, IdMap] = field(default_factory=lambda: {k: IdMap() for k in BY_NAME})
    # (kind, file id of the row, column, file id it names): a mention naming a mention
    # listed after it; resolved once every file is read.
    deferred: list[tuple[str, int, str, int]] = field(default_factory=list)
    # Records of each kind stored so far, and when to have PostgreSQL count the table again.
    stored: dict[str, int] = field(default_factory=dict)
    analyze_at: dict[str, int] = field(default_factory=dict)


@dataclass
class _Line:
    number: int
    kind: Kind
    values: dict[str, Any]


def restore(
    db: Database,
    paths: Sequence[str | PathLike[str]],
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Store what the pingsvc exports at `paths` hold, creating the sites they name. A row
    whose id is free keeps it (into an empty database: every id); one already there (by its
    natural key, layout.Kind.key) is left alone unless the file's copy is newer. `progress`
    is called with the number of records just stored, batch by batch. A malformed line
    raises ImportFormatError naming it; nothing of its batch is stored."""
    report, state = Report(), _State()
    try:
        for path in paths:
            _restore_file(db, Path(path), state, report, progress)
    except ImportFormatError as exc:
        exc.report = report  # what the batches before the bad one stored
        raise
    finally:
        # References into what was stored, even when a later batch failed.
        _resolve_deferred(db, state)
    return report


def _restore_file(
    db: Database,
    path: Path,
    state: _State,
    report: Report,
    progress: Callable[[int], None] | None,
) -> None:
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFormatError(f"{path.name}: cannot be read ({exc.strerror})") from None
    with handle:
        batch: list[_Line] = []
        for line in _records(path, handle):
            batch.append(line)
            if len(batch) >= BATCH_SIZE:
                _store(db, path, batch, state, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            _store(db, path, batch, state, report)
            if progress:
                progress(len(batch))


def _records(path: Path, lines: Iterable[str]) -> Iterator[_Line]:
    """The file's records after its header, decoded and checked."""
    number = 0
    try:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ImportFormatError(
                    f"{path.name}: line {number}: not JSON ({exc.msg})"
                ) from None
            if number == 1:
                _check_header(path, record)
                continue
            if not isinstance(record, dict) or record.get("type") not in BY_NAME:
                raise ImportFormatError(
                    f'{path}: line {number}: not a record of a pingsvc export (its "type" '
                    f"must be one of {', '.join(BY_NAME)})"
                )
            kind = BY_NAME[record["type"]]
            try:
                values = decode(kind, record)
                if not 0 < values["id"] <= MAX_ID:
                    raise ValueError(f"id {values['id']} is out of range")
            except ValueError as exc:
                raise ImportFormatError(f"{path.name}: line {number}: {exc}") from None
            yield _Line(number, kind, values)
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path.name}: line {number + 1}: not UTF-8 text") from None
    if number == 0:
        raise ImportFormatError(f"{path.name}: line 1: the file is empty, not a pingsvc export")


def _check_header(path: Path, record: Any) -> None:
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ImportFormatError(
            f'{path}: line 1: not a pingsvc export (its first line must be {{"format": '
            f'"{FORMAT}", "version": {VERSION}, ...}})'
        )
    if record.get("version") != VERSION:
        raise ImportFormatError(
            f"{path.name}: line 1: version {record.get('version')!r} of the export format; this "
            f"pingsvc reads version {VERSION}"
        )


def _store(db: Database, path: Path, batch: list[_Line], state: _State, report: Report) -> None:
    """One batch in one transaction, run by run of records of the same kind."""
    counts = Report()
    deferred: list[tuple[str, int, str, int]] = []
    try:
        with db.engine.begin() as conn:
            start = 0
            while start < len(batch):
                end = start
                while end < len(batch) and batch[end].kind is batch[start].kind:
                    end += 1
                _store_run(conn, batch[start:end], state, counts, deferred)
                start = end
            if db.dialect == "postgresql":
                _analyze_growing(conn, batch, state)
                for name in {line.kind.name for line in batch}:
                    # Ids written as they were leave the sequence behind: move it past them.
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"GREATEST((SELECT MAX(id) FROM {name}), 1))"
                        )
                    )
            # The change feed hears of the batch's mentions, last before the commit.
            mentions = state.maps["mention"]
            changed = (mentions.get(ln.values["id"]) for ln in batch if ln.kind.name == "mention")
            changelog.record(conn, [i for i in changed if i is not None])
    except DBAPIError as exc:
        raise ImportFormatError(
            f"{path.name}: lines {batch[0].number}-{batch[-1].number}: the database refused them "
            f"({str(exc.orig).strip().splitlines()[0]}); nothing of them was stored"
        ) from None
    report.add(counts)
    state.deferred.extend(deferred)


def _analyze_growing(conn: Connection, batch: list[_Line], state: _State) -> None:
    """ANALYZE a table each time the restore has doubled what it wrote to it (from 1,000
    rows on). A table filled faster than autovacuum counts it keeps the statistics of an
    empty one, and the look-ups of every batch turn into scans of the whole table: restoring
    30,000 mentions, a batch took 0.2 s at the start and 1.5 s at the end without this."""
    for line in batch:
        state.stored[line.kind.name] = state.stored.get(line.kind.name, 0) + 1
    for name, count in state.stored.items():
        if count >= state.analyze_at.setdefault(name, 1000):
            conn.execute(text(f"ANALYZE {name}"))
            state.analyze_at[name] = count * 2


def _store_run(
    conn: Connection,
    run: list[_Line],
    state: _State,
    report: Report,
    deferred: list[tuple[str, int, str, int]],
) -> None:
    kind = run[0].kind
    table = kind.table
    ids = state.maps[kind.name]
    key_columns = [table.c[name] for name in kind.key]
    newer = [table.c[kind.newer_by]] if kind.newer_by else []
    lookups = {line.values.get(kind.lookup) for line in run}
    if kind.lookup in kind.refs:  # the file's ids, as the database has them
        named = state.maps[kind.refs[kind.lookup]]
        lookups = {named.get(old) for old in lookups if old is not None}
    existing = {
        tuple(row[1 : 1 + len(key_columns)]): row
        for row in conn.execute(
            select(table.c.id, *key_columns, *newer).where(table.c[kind.lookup].in_(list(lookups)))
        )
    }
    taken = set(
        conn.scalars(select(table.c.id).where(table.c.id.in_([ln.values["id"] for ln in run])))
    )
    # Rows that keep their id, written together; flushed before any other write so that a
    # row always reaches the database after the rows it names.
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            conn.execute(insert(table), pending)
            pending.clear()

    for line in run:
        values, old = dict(line.values), line.values["id"]
        later = _map_refs(kind, values, state, report)
        if later is None:
            continue
        if kind.name == "mention" and values.get("content_html"):
            # Served as stored: a file could hold what no verification would have let
            # through. What pingsvc exported is clean already and comes back unchanged.
            values["content_html"] = clean_html(values["content_html"], values["source"])
        found = existing.get(tuple(values.get(name) for name in kind.key))
        if found is not None:
            ids.map(old, found[0])
            if kind.newer_by and values.get(kind.newer_by) and values[kind.newer_by] > found[-1]:
                flush()
                values.pop("id")
                conn.execute(update(table).where(table.c.id == found[0]).values(**values))
                report.updated += 1
            else:
                report.skip(ALREADY)
                continue
        else:
            _fill_excluded(kind, values)
            if old not in taken:
                if pending and pending[-1].keys() != values.keys():
                    flush()
                pending.append(values)
                ids.keep(old)
            else:
                flush()
                values.pop("id")
                statement = insert(table).values(**values).returning(table.c.id)
                ids.map(old, conn.execute(statement).scalar_one())
            report.imported += 1
        deferred.extend((kind.name, old, column, target) for column, target in later)
    flush()


def _map_refs(
    kind: Kind, values: dict[str, Any], state: _State, report: Report
) -> list[tuple[str, int]] | None:
    """Point the record's references at database ids. Returns the references to rows not
    stored yet (a mention naming a later one: set at the end), or None (and a skip) when a
    row the record can't be without is not in the file."""
    later: list[tuple[str, int]] = []
    for column, target in kind.refs.items():
        old = values.get(column)
        if old is None:
            continue
        new = state.maps[target].get(old)
        if new is not None:
            values[column] = new
        elif target == kind.name:
            values[column] = None
            later.append((column, old))
        elif kind.table.c[column].nullable:
            values[column] = None  # e.g. a log line's account the export left out
        else:
            report.skip(f"its {target} is not in the file")
            return None
    return later


def _fill_excluded(kind: Kind, values: dict[str, Any]) -> None:
    """Values for the columns an export leaves out that a new row needs."""
    if kind.name == "webhook":
        # The export holds no secret: a restored webhook signs with a new one (as
        # notify.webhooks.new_secret makes), which its owner copies to the receiver.
        values["secret"] = secrets.token_urlsafe(24)


def _resolve_deferred(db: Database, state: _State) -> None:
    """Set the references to mentions that came later in the files; one naming a mention no
    file held stays empty."""
    if not state.deferred:
        return
    with db.engine.begin() as conn:
        for name, old, column, old_target in state.deferred:
            row, target = state.maps[name].get(old), state.maps[name].get(old_target)
            if row is not None and target is not None:
                table = BY_NAME[name].table
                # updated_at set to itself: the fix-up is no update of the mention.
                conn.execute(
                    update(table)
                    .where(table.c.id == row)
                    .values({column: target, "updated_at": table.c.updated_at})
                )
        # A reply given its parent now shows wm-parent-id: the change feed hears of it.
        threaded = (state.maps["mention"].get(old) for name, old, *_ in state.deferred
                    if name == "mention")  # fmt: skip
        changelog.record(conn, [i for i in threaded if i is not None])
