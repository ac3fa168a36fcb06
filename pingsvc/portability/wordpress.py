"""Reading a WordPress export (WXR, Tools → Export) as Records, streamed: the XML is fed to
the parser in chunks and each comment is handed on when its element ends, so memory stays
flat however large the file is."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from pingsvc.models import APPROVED, DELETED, HELD, REJECTED
from pingsvc.portability.importer import ImportFormatError
from pingsvc.portability.records import COMMENT, TRACKBACK, Record, naive_utc
from pingsvc.urls import without_fragment

FORMAT = "wordpress"
_CHUNK = 64 * 1024
_WP = "{http://wordpress.org/export/"  # 1.0, 1.1 and 1.2 differ only in the version
_STATUS = {"1": APPROVED, "0": HELD, "spam": REJECTED, "trash": DELETED, "post-trashed": DELETED}
# The Webmention plugin (with Semantic Linkbacks) stores the kind of post in comment_type
# (newer versions) or in the semantic_linkbacks_type meta.
_LINKBACK_TYPES = {
    "webmention": "mention-of", "mention": "mention-of", "reply": "in-reply-to",
    "like": "like-of", "favorite": "like-of", "repost": "repost-of",
    "bookmark": "bookmark-of", "rsvp": "rsvp",
}  # fmt: skip
_COMMENT_TYPES = {"", "comment"}
_ZERO_DATE = "0000-00-00 00:00:00"
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n\s*\n")


def read_files(paths: list[Path]) -> Iterator[Record]:
    for path in paths:
        with path.open("rb") as stream:
            yield from read(stream, path.name)


def read(stream: BinaryIO, name: str) -> Iterator[Record]:
    """The comments of a WXR file as Records; ImportFormatError names the line and element."""
    target = _Wxr(name)
    parser = DefusedXMLParser(target=target)
    target.expat = parser.parser
    try:
        while chunk := stream.read(_CHUNK):
            parser.feed(chunk)
            yield from target.take()
        parser.close()
    except ParseError as exc:
        line, column = exc.position
        raise ImportFormatError(
            f"{name} line {line} column {column}: not well-formed XML ({_reason(exc)})"
            f"{target.inside()}."
        ) from exc
    except DefusedXmlException as exc:
        raise ImportFormatError(
            f"{name} line {target.line()}: refused: {exc} (a WordPress export has no DTD "
            "or entity declarations)."
        ) from exc
    yield from target.take()
    target.finish()


def _reason(exc: ParseError) -> str:
    # "mismatched tag: line 3, column 2" -> "mismatched tag"
    return str(exc).split(":", 1)[0]


def _local(tag: str) -> str:
    """`wp:comment_id` for a WordPress element, the plain name for the others."""
    if tag.startswith(_WP):
        return "wp:" + tag.rsplit("}", 1)[1]
    return tag.rsplit("}", 1)[-1]


class _Wxr:
    """The parser's target: keeps only the fields of the current <item> and <wp:comment>."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.expat: Any = None
        self.stack: list[str] = []
        self.wxr = False
        self.item: dict[str, str] | None = None
        self.comment: dict[str, Any] | None = None
        self.meta: dict[str, str] | None = None
        self.text: list[str] | None = None
        self.ready: list[Record] = []

    def line(self) -> int:
        return int(self.expat.CurrentLineNumber) if self.expat is not None else 0

    def inside(self) -> str:
        return f", in <{self.stack[-1]}>" if self.stack else ""

    def error(self, element: str, problem: str, line: int | None = None) -> ImportFormatError:
        return ImportFormatError(
            f"{self.name} line {line or self.line()}, element <{element}>: {problem}"
        )

    def take(self) -> list[Record]:
        ready, self.ready = self.ready, []
        return ready

    def finish(self) -> None:
        if not self.wxr:
            raise ImportFormatError(
                f"{self.name} line {self.line()}: not a WordPress export (WXR): it has no "
                "<wp:wxr_version>; export the site with WordPress's Tools → Export."
            )

    def start(self, tag: str, _attrib: dict[str, str]) -> None:
        name = _local(tag)
        depth = len(self.stack)
        if depth == 0 and name != "rss":
            raise self.error(name, "not a WordPress export (WXR): the root must be <rss>")
        self.stack.append(name)
        if name == "item" and depth == 2:
            self.item = {}
        elif name == "wp:comment" and self.item is not None:
            self.comment = {"line": self.line(), "meta": {}, "lines": {}}
        elif name == "wp:commentmeta" and self.comment is not None:
            self.meta = {}
        elif self.comment is not None and self.stack[-2] == "wp:comment":
            self.comment["lines"][name] = self.line()  # for messages about this field
        self.text = [] if self._wanted(name, depth) else None

    def _wanted(self, name: str, depth: int) -> bool:
        parent = self.stack[-2] if depth else ""
        return (
            (parent == "channel" and name == "wp:wxr_version")
            or (parent == "item" and name in ("link", "title", "wp:post_id", "wp:post_type"))
            or (parent == "wp:comment" and name != "wp:commentmeta")
            or parent == "wp:commentmeta"
        )

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        name = self.stack.pop()
        value = "".join(self.text).strip() if self.text is not None else ""
        self.text = None
        parent = self.stack[-1] if self.stack else ""
        if name == "wp:wxr_version":
            self.wxr = True
        elif parent == "item" and self.item is not None and name != "wp:comment":
            self.item[name] = value
        elif parent == "wp:commentmeta" and self.meta is not None:
            self.meta[name] = value
        elif name == "wp:commentmeta" and self.comment is not None and self.meta is not None:
            self.comment["meta"][self.meta.get("wp:meta_key", "")] = self.meta.get(
                "wp:meta_value", ""
            )
            self.meta = None
        elif parent == "wp:comment" and self.comment is not None:
            self.comment[name] = value
        elif name == "wp:comment" and self.comment is not None and self.item is not None:
            self.ready.append(self._record(self.item, self.comment))
            self.comment = None
        elif name == "item":
            self.item = None

    def close(self) -> None:
        return None

    def _record(self, item: dict[str, str], comment: dict[str, Any]) -> Record:
        line = int(comment["line"])
        where = f"{self.name} line {line}"
        comment_id = comment.get("wp:comment_id", "")
        if not comment_id:
            raise self.error("wp:comment", "it has no <wp:comment_id>", line)
        link = item.get("link", "")
        if not link:
            raise self.error("wp:comment", f"comment {comment_id}'s <item> has no <link>", line)
        received = _date(comment)
        if received is None:
            raise self.error(
                "wp:comment_date_gmt",
                f"comment {comment_id} has no date (<wp:comment_date_gmt> or <wp:comment_date>)",
                comment["lines"].get("wp:comment_date_gmt", line),
            )
        approved = comment.get("wp:comment_approved", "")
        status = _STATUS.get(approved)
        if status is None:
            raise self.error(
                "wp:comment_approved",
                f"comment {comment_id}: {approved!r} is none of 1, 0, spam and trash",
                comment["lines"].get("wp:comment_approved", line),
            )
        meta: dict[str, str] = comment["meta"]
        kind = comment.get("wp:comment_type", "").lower()
        author_url = comment.get("wp:comment_author_url") or None
        content = comment.get("wp:comment_content", "")
        parent = comment.get("wp:comment_parent", "0")
        common: dict[str, Any] = {
            "origin_format": FORMAT,
            "origin_id": comment_id,
            "target": link,
            "received_at": received,
            "status": status,
            "published": received.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "author_name": comment.get("wp:comment_author") or None,
            "author_photo": meta.get("semantic_linkbacks_avatar") or meta.get("avatar") or None,
            "parent_origin_id": parent if parent not in ("", "0") else None,
            "where": where,
            "extra": {"wordpress": {"post_id": item.get("wp:post_id"), "comment_type": kind}},
        }
        webmention_source = meta.get("webmention_source_url") or (
            meta.get("url") if meta.get("protocol") == "webmention" else None
        )
        if webmention_source or kind in _LINKBACK_TYPES:
            prop = _LINKBACK_TYPES.get(
                meta.get("semantic_linkbacks_type") or kind, _LINKBACK_TYPES.get(kind)
            )
            source = webmention_source or meta.get("semantic_linkbacks_canonical") or author_url
            return Record(
                source=source or "",
                protocol="webmention",
                property=prop or "mention-of",
                url=meta.get("semantic_linkbacks_canonical") or source,
                author_url=meta.get("semantic_linkbacks_author_url") or author_url,
                content_text=_plain(content) or None,
                skip=None if source else "webmention without a source URL",
                **common,
            )
        if kind in ("pingback", TRACKBACK):
            return Record(
                source=author_url or "",
                protocol=kind,
                property="mention-of",
                author_url=author_url,
                content_text=_plain(content) or None,
                skip=None if author_url else f"{kind} without a source URL",
                **common,
            )
        # An ordinary comment: it lives on the post's page, so the comment's own anchor is
        # its source and url; there is nothing to verify.
        anchor = f"{without_fragment(link)}#comment-{comment_id}"
        return Record(
            source=anchor,
            protocol=COMMENT,
            property="in-reply-to",
            url=anchor,
            author_url=author_url,
            content_html=_paragraphs(content) or None,
            skip=None if kind in _COMMENT_TYPES else f"not a comment (comment_type {kind})",
            **common,
        )


def _date(comment: dict[str, Any]) -> Any:
    for name in ("wp:comment_date_gmt", "wp:comment_date"):
        value = comment.get(name, "")
        if value and value != _ZERO_DATE:
            moment = naive_utc(value.replace(" ", "T"))
            if moment is not None:
                return moment
    return None


def _plain(content: str) -> str:
    """A pingback's or webmention's excerpt as text (WordPress stores it as HTML)."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", content))).strip()


def _paragraphs(content: str) -> str:
    """A comment as WordPress shows it (wpautop, simply): blank lines part paragraphs, a
    line break is a <br>; the importer then sanitizes it as any received HTML."""
    paragraphs = [p.strip() for p in _BLANK_LINE.split(content.replace("\r\n", "\n"))]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs if p)
