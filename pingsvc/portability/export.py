"""export(): every stored row of one site (or of all), streamed as pingsvc export JSON lines."""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlalchemy import Select, select, union
from sqlalchemy.engine import Connection

from pingsvc.db import Database
from pingsvc.models import utcnow
from pingsvc.portability.layout import (
    BY_NAME,
    FORMAT,
    KINDS,
    VERSION,
    Kind,
    encode,
    encode_datetime,
)

# Rows fetched from the database at a time: the export's memory is this many rows, whatever
# the size of the site.
YIELD_PER = 1000


class UnknownSite(Exception):
    """export(site_host=...) of a host that is not registered."""


def export(db: Database, out: TextIO, *, site_host: str | None = None) -> int:
    """Write the export of `site_host` (every site when None) to `out`: a header line, then
    one JSON object a line, kind by kind (layout.KINDS), each kind by id. Returns the number
    of records after the header. Read in one transaction, so the file is one moment's state
    while the service keeps running."""
    options: dict[str, Any] = {}
    if db.dialect == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with db.engine.connect().execution_options(**options) as conn, conn.begin():
        site_id = None
        if site_host is not None:
            sites = BY_NAME["site"].table.c
            site_id = conn.scalar(select(sites.id).where(sites.host == site_host))
            if site_id is None:
                raise UnknownSite(f"{site_host} is not registered")
        header = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": encode_datetime(utcnow()),
            "site": site_host,
        }
        out.write(_line(header))
        written = 0
        for kind in KINDS:
            written += _write_kind(conn, out, kind, site_id)
    return written


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_kind(conn: Connection, out: TextIO, kind: Kind, site_id: int | None) -> int:
    query = select(*kind.columns()).order_by(kind.table.c.id)
    if site_id is not None:
        query = _of_site(query, kind, site_id)
    count = 0
    for row in conn.execution_options(yield_per=YIELD_PER).execute(query).mappings():
        out.write(_line(_canonical(encode(kind, row))))
        count += 1
    return count


def _canonical(record: dict[str, Any]) -> dict[str, Any]:
    """JSON values (a mention's extra, a delivery's payload) with sorted keys: the database
    may hand them back in another order than they were stored (PostgreSQL's JSON does not,
    SQLite's does), and two exports of one database must be equal."""
    return {
        name: json.loads(json.dumps(value, sort_keys=True))
        if isinstance(value, dict | list)
        else value
        for name, value in record.items()
    }


def _of_site(query: Select[Any], kind: Kind, site_id: int) -> Select[Any]:
    """`query` narrowed to the rows of one site (global block rules and log lines, with no
    site, are only in an export of every site)."""
    c = kind.table.c
    if kind.name == "site":
        return query.where(c.id == site_id)
    if "site_id" in c:
        return query.where(c.site_id == site_id)
    if kind.name == "account":
        site, actions = BY_NAME["site"].table.c, BY_NAME["moderation_action"].table.c
        used = union(
            select(site.owner_id).where(site.id == site_id),
            select(actions.account_id).where(actions.site_id == site_id),
        )
        return query.where(c.id.in_(used))
    parent = BY_NAME[_PARENT[kind.name]].table.c
    column = c[f"{_PARENT[kind.name]}_id"]
    return query.where(column.in_(select(parent.id).where(parent.site_id == site_id)))


# Kinds without a site of their own belong to the site of the row they hang from.
_PARENT = {"feed_entry": "feed", "mention_link": "mention", "webhook_delivery": "webhook"}
