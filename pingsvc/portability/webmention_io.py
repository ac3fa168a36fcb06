"""Reading webmention.io's API pages: the `links` JSON of /api/mentions and the jf2 feed of
/api/mentions.jf2, one file or several pages, as Records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pingsvc.models import APPROVED
from pingsvc.portability.importer import ImportFormatError
from pingsvc.portability.records import Record, naive_utc

FORMAT = "webmention-io"

# webmention.io's `links` activity.type and jf2 wm-property, as pingsvc's properties.
_TYPES = {
    "reply": "in-reply-to",
    "like": "like-of",
    "repost": "repost-of",
    "bookmark": "bookmark-of",
    "rsvp": "rsvp",
    "link": "mention-of",
    "mention": "mention-of",
}
_PROPERTIES = {"in-reply-to", "like-of", "repost-of", "bookmark-of", "rsvp", "mention-of"}
_RSVP = {"yes", "no", "maybe", "interested"}
_WS = " \t\r\n"


def read_files(paths: list[Path]) -> Iterator[Record]:
    """The records of every page, in order."""
    for path in paths:
        yield from read(path)


def read(path: Path) -> Iterator[Record]:
    """The records of one API page (either shape); ImportFormatError names the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path.name}: not UTF-8 text ({exc.reason}).") from exc
    reader = _Reader(text, path.name)
    for line, item, shape in reader.items():
        where = f"{path.name} line {line}"
        if not isinstance(item, dict):
            raise ImportFormatError(f"{where}: each entry of {shape} must be a JSON object.")
        yield _from_jf2(item, where) if shape == "children" else _from_link(item, where)


class _Reader:
    """Walks the top-level object with JSONDecoder.raw_decode, so each entry of the list is
    known with the line it starts on (json.load would say nothing of where an entry was)."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.decoder = json.JSONDecoder()
        self.pos = 0
        self._counted = (0, 1)  # (index, its line): lines are counted on from there

    def _line(self, index: int) -> int:
        start, line = self._counted if index >= self._counted[0] else (0, 1)
        line += self.text.count("\n", start, index)
        self._counted = (index, line)
        return line

    def _peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expect(self, chars: str, what: str) -> str:
        char = self._peek()
        if not char or char not in chars:
            found = repr(char) if char else "the end of the file"
            raise ImportFormatError(
                f"{self.name} line {self._line(self.pos)}: expected {what}, found {found}."
            )
        self.pos += 1
        return char

    def _value(self) -> Any:
        self._peek()
        try:
            value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(
                f"{self.name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})."
            ) from exc
        return value

    def items(self) -> Iterator[tuple[int, Any, str]]:
        """(line, entry, "links" or "children") for each entry of the page's list."""
        self._expect("{", "a JSON object (a webmention.io API page)")
        shape: str | None = None
        if self._peek() != "}":
            while True:
                key = self._value()
                self._expect(":", "':'")
                if key in ("links", "children") and self._peek() == "[":
                    shape = str(key)
                    yield from ((line, item, shape) for line, item in self._array())
                else:
                    self._value()
                if self._expect(",}", "',' or '}'") == "}":
                    break
        else:
            self.pos += 1
        if self._peek():
            raise ImportFormatError(
                f"{self.name} line {self._line(self.pos)}: text after the page's closing '}}'."
            )
        if shape is None:
            raise ImportFormatError(
                f'{self.name} line 1: not a webmention.io API page: it has no "links" list '
                '(/api/mentions) and no "children" list (/api/mentions.jf2).'
            )

    def _array(self) -> Iterator[tuple[int, Any]]:
        self._expect("[", "'['")
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            self._peek()
            line = self._line(self.pos)
            yield line, self._value()
            if self._expect(",]", "',' or ']'") == "]":
                return


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _need(item: dict[str, Any], name: str, where: str) -> Any:
    value = item.get(name)
    if value is None or value == "":
        raise ImportFormatError(f"{where}: the entry has no {name!r}.")
    return value


def _received(value: Any, name: str, where: str) -> Any:
    moment = naive_utc(value) if isinstance(value, str) else None
    if moment is None:
        raise ImportFormatError(f"{where}: {name} {value!r} is not a date and time (ISO 8601).")
    return moment


def _author(value: Any) -> dict[str, Any]:
    author = value if isinstance(value, dict) else {}
    return {
        "author_name": _str(author.get("name")),
        "author_url": _str(author.get("url")),
        "author_photo": _str(author.get("photo")),
    }


def _content(value: Any) -> tuple[str | None, str | None]:
    """(html, text) of a jf2 content object or a links-shape content string (HTML)."""
    if isinstance(value, dict):
        return _str(value.get("html")), _str(value.get("text")) or _str(value.get("value"))
    if isinstance(value, str):
        return _str(value), None
    return None, None


@dataclass(frozen=True)
class _Shape:
    """Where one shape of API page keeps a mention's fields, by name: on the entry itself
    (its id, source, target, receive time, privacy) and on its post (in jf2 the entry too,
    in `links` its `data`), where only jf2 has a summary and an updated time."""

    id: str
    source: str
    target: str
    received: str
    private: str
    summary: str | None
    updated: str | None


_JF2 = _Shape("wm-id", "wm-source", "wm-target", "wm-received", "wm-private", "summary", "updated")
_LINKS = _Shape("id", "source", "target", "verified_date", "private", None, None)


def _from_jf2(item: dict[str, Any], where: str) -> Record:
    prop = _str(item.get("wm-property")) or "mention-of"
    return _record(item, item, prop if prop in _PROPERTIES else "mention-of", _JF2, where)


def _from_link(item: dict[str, Any], where: str) -> Record:
    data: dict[str, Any] = item["data"] if isinstance(item.get("data"), dict) else {}
    activity: dict[str, Any] = item["activity"] if isinstance(item.get("activity"), dict) else {}
    prop = _TYPES.get(str(activity.get("type") or "link"), "mention-of")
    return _record(item, data, prop, _LINKS, where)


def _record(
    item: dict[str, Any], post: dict[str, Any], prop: str, shape: _Shape, where: str
) -> Record:
    """The Record of one entry, its fields read where `shape` says; `prop` its property."""
    html, text = _content(post.get("content"))
    summary = post.get(shape.summary) if shape.summary else None
    rsvp = _str(post.get("rsvp"))
    return Record(
        origin_format=FORMAT,
        origin_id=str(_need(item, shape.id, where)),
        source=str(_need(item, shape.source, where)),
        target=str(_need(item, shape.target, where)),
        received_at=_received(item.get(shape.received), shape.received, where),
        status=APPROVED,
        protocol="webmention",
        property=prop,
        rsvp=rsvp if prop == "rsvp" and rsvp in _RSVP else None,
        private=item.get(shape.private) is True,
        url=_str(post.get("url")),
        name=_str(post.get("name")),
        summary=_str(summary.get("value")) if isinstance(summary, dict) else _str(summary),
        content_html=html,
        content_text=text,
        published=_str(post.get("published")),
        updated=_str(post.get(shape.updated)) if shape.updated else None,
        where=where,
        **_author(post.get("author")),
    )
