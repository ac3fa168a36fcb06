"""Record: one mention as an import reader found it, before it is stored (pure values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pingsvc.models import APPROVED, COMMENT

TRACKBACK = "trackback"


@dataclass(frozen=True)
class Record:
    """A mention from another system. `origin_id` is its id there, unique per format and
    site: what makes importing the same file again change nothing. `parent_origin_id` names
    the record it replies to (a WordPress comment_parent), in the same format."""

    origin_format: str
    origin_id: str
    source: str
    target: str
    received_at: datetime  # naive UTC, from the file: never the time of the import
    status: str = APPROVED
    protocol: str = "webmention"
    property: str = "mention-of"
    rsvp: str | None = None
    private: bool = False
    url: str | None = None
    name: str | None = None
    summary: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_photo: str | None = None
    published: str | None = None
    updated: str | None = None
    parent_origin_id: str | None = None
    # Where in the file it came from ("page-2.json line 14"), for messages about it.
    where: str = ""
    # Set by a reader for an entry it read but that is not a mention (a WordPress order
    # note): the importer counts it as skipped for this reason and stores nothing.
    skip: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def verifiable(record: Record) -> bool:
    """Whether the record has a source page that a verification could fetch."""
    return record.protocol != COMMENT


def naive_utc(value: str | None) -> datetime | None:
    """An ISO 8601 time (any offset, `Z`, or none: taken as UTC) as naive UTC; None when it
    is missing or not a time."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # webmention.io writes "2019-05-02T10:11:12.123+00:00" and sometimes "2019-05-02 10:11:12"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
