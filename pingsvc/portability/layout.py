"""The pingsvc export format, version 1: which record kinds a file holds, in which order,
and how a column's value is written and read back (docs/export-format.md describes it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, Table

from pingsvc import models

FORMAT = "pingsvc-export"
VERSION = 1


@dataclass(frozen=True)
class Kind:
    """One record kind: the table it holds, what of it is left out, and how a restore finds
    the row a record already is in the database (its natural key)."""

    name: str
    table: Table
    # Columns never written: secrets, and what only means something on the running server.
    excluded: tuple[str, ...] = ()
    # Foreign-key columns -> the kind they name (by the id it has in the same file).
    refs: dict[str, str] = field(default_factory=dict)
    # The columns that identify the row in another database; `lookup` is the most selective.
    key: tuple[str, ...] = ()
    lookup: str = ""
    # A restore overwrites a row that exists when the file's copy is newer by this column.
    newer_by: str | None = None

    def columns(self) -> list[Column[Any]]:
        return list(self.by_name.values())

    @cached_property
    def by_name(self) -> dict[str, Column[Any]]:
        """The written columns by name (computed once: decode() asks for every record)."""
        return {c.name: c for c in self.table.columns if c.name not in self.excluded}


def _t(model: type[models.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# In dependency order: a record only names records of kinds written before it, except a
# mention's parent_id and duplicate_of_id, which may name a later mention.
KINDS: tuple[Kind, ...] = (
    Kind(
        "account",
        _t(models.Account),
        # No password hash and no admin flag: an export handed to someone leaks no login,
        # and a file can't grant one. A restored account gets a password with `user add`.
        excluded=("password_hash", "session_version", "is_admin"),
        key=("email",),
        lookup="email",
    ),
    Kind("site", _t(models.Site), refs={"owner_id": "account"}, key=("host",), lookup="host"),
    Kind(
        "block_rule",
        _t(models.BlockRule),
        refs={"site_id": "site"},
        key=("site_id", "kind", "value"),
        lookup="value",
    ),
    Kind(
        "spam_token",
        _t(models.SpamToken),
        refs={"site_id": "site"},
        key=("site_id", "token"),
        lookup="token",
    ),
    Kind(
        "webhook",
        _t(models.Webhook),
        excluded=("secret",),
        refs={"site_id": "site"},
        key=("site_id", "url"),
        lookup="url",
    ),
    Kind("feed", _t(models.Feed), refs={"site_id": "site"}, key=("site_id", "url"), lookup="url"),
    Kind(
        "feed_entry",
        _t(models.FeedEntry),
        refs={"feed_id": "feed"},
        key=("feed_id", "url"),
        lookup="url",
    ),
    Kind(
        "mention",
        _t(models.Mention),
        # The avatar's files stay in this server's archive, not in the file: the install
        # that restores it archives the photo again when it verifies the mention.
        excluded=("avatar_key",),
        refs={"site_id": "site", "parent_id": "mention", "duplicate_of_id": "mention"},
        key=("source", "target"),
        lookup="source",
        newer_by="updated_at",
    ),
    Kind(
        "mention_link",
        _t(models.MentionLink),
        refs={"mention_id": "mention"},
        key=("mention_id", "kind", "key"),
        lookup="mention_id",
    ),
    Kind(
        "moderation_action",
        _t(models.ModerationAction),
        refs={"account_id": "account", "site_id": "site", "mention_id": "mention"},
        key=("site_id", "action", "actor", "created_at"),
        lookup="created_at",
    ),
    Kind(
        "webhook_delivery",
        _t(models.WebhookDelivery),
        refs={"webhook_id": "webhook", "mention_id": "mention"},
        key=("webhook_id", "event", "mention_id", "created_at"),
        lookup="created_at",
    ),
    Kind(
        "outgoing",
        _t(models.Outgoing),
        refs={"site_id": "site"},
        key=("source", "target"),
        lookup="source",
        newer_by="updated_at",
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}
ORDER = {kind.name: index for index, kind in enumerate(KINDS)}
# Tables an export leaves out on purpose, and why (tests check every table is decided).
NOT_EXPORTED: dict[str, str] = {
    # Derived: a restore records every mention it writes, so the restored database's feed
    # starts afresh; caches should rebuild from since=0 after a restore.
    "mention_change": "the change feed's lines, rebuilt by the restore",
    # Work in progress on one machine: the upload itself is deleted once imported.
    "import_job": "the dashboard's import jobs",
}

# A mention's origin columns (present once imports exist) are written as one object.
ORIGIN_COLUMNS = ("origin_format", "origin_id")


def encode_datetime(value: datetime) -> str:
    """Naive UTC as ISO 8601 with a Z; microseconds only when there are some."""
    return value.isoformat() + "Z"


def decode_datetime(value: str) -> datetime:
    if not value.endswith("Z"):
        raise ValueError(f"{value!r} is not a UTC time ending in Z")
    parsed = datetime.fromisoformat(value[:-1])
    if parsed.tzinfo is not None:
        raise ValueError(f"{value!r} is not a UTC time ending in Z")
    return parsed


def encode(kind: Kind, row: Any) -> dict[str, Any]:
    """The record of one row (a Core row mapping), in the table's column order."""
    record: dict[str, Any] = {"type": kind.name}
    for column in kind.columns():
        if column.name in ORIGIN_COLUMNS:
            if column.name == "origin_format":
                fmt, ident = row["origin_format"], row["origin_id"]
                record["origin"] = None if fmt is None else {"format": fmt, "id": ident}
            continue
        value = row[column.name]
        record[column.name] = encode_datetime(value) if isinstance(value, datetime) else value
    return record


def decode_value(column: Column[Any], value: Any) -> Any:
    """A record's value for `column`, checked against the column's type; ValueError says
    what is wrong."""
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name} must not be null")
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise ValueError(f"{column.name} must be a time such as 2026-01-01T12:00:00Z")
        try:
            return decode_datetime(value)
        except ValueError as exc:
            raise ValueError(f"{column.name}: {exc}") from None
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise ValueError(f"{column.name} must be true or false")
        return value
    if isinstance(kind, Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{column.name} must be a whole number")
        return value
    if isinstance(kind, JSON):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{column.name} must be a string")
    length = getattr(kind, "length", None)
    if length is not None and len(value) > length:
        raise ValueError(f"{column.name} is longer than {length} characters")
    return value


def decode(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    """The column values of a record (ids still the file's); ValueError names what is wrong."""
    values: dict[str, Any] = {}
    columns = kind.by_name
    has_origin = "origin_format" in columns
    for name, value in record.items():
        if name == "type":
            continue
        if name == "origin" and has_origin:
            if value is None:
                values["origin_format"] = values["origin_id"] = None
            elif isinstance(value, dict) and set(value) == {"format", "id"}:
                values["origin_format"] = decode_value(columns["origin_format"], value["format"])
                values["origin_id"] = decode_value(columns["origin_id"], value["id"])
            else:
                raise ValueError('origin must be null or {"format": ..., "id": ...}')
            continue
        column = columns.get(name)
        if column is None or name in ORIGIN_COLUMNS:
            raise ValueError(f"a {kind.name} record has no field {name!r}")
        values[name] = decode_value(column, value)
    if not isinstance(values.get("id"), int):
        raise ValueError(f"a {kind.name} record needs its id")
    for name, column in columns.items():
        if name in ORIGIN_COLUMNS or name in values:
            continue
        if not column.nullable and column.default is None and column.server_default is None:
            raise ValueError(f"a {kind.name} record needs {name}")
    return values
