"""Which format an import file is in, from its first bytes: detect(path)."""

from __future__ import annotations

import json
from pathlib import Path

from pingsvc.portability.importer import ImportFormatError

WEBMENTION_IO = "webmention-io"
WORDPRESS = "wordpress"
PINGSVC = "pingsvc"
FORMATS = (WEBMENTION_IO, WORDPRESS, PINGSVC)
_HEAD = 64 * 1024


def detect(path: Path) -> str:
    """ "webmention-io", "wordpress" or "pingsvc"; ImportFormatError when it is none of them
    (the message says to pass --format)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(_HEAD)
    except OSError as exc:
        raise ImportFormatError(f"{path}: can't be read ({exc.strerror}).") from exc
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        if "wordpress.org/export/" in text:
            return WORDPRESS
        raise ImportFormatError(
            f"{path.name}: an XML file, but not a WordPress export (WXR) (it names no "
            "wordpress.org/export/ namespace in its first 64 KiB)."
        )
    if text.startswith("{"):
        first_line = text.split("\n", 1)[0]
        try:
            header = json.loads(first_line)
        except ValueError:
            header = None
        if isinstance(header, dict) and header.get("format") == "pingsvc-export":
            return PINGSVC
        return WEBMENTION_IO
    raise ImportFormatError(
        f"{path.name}: can't tell its format (neither JSON nor XML); pass --format "
        f"{'|'.join(FORMATS)}."
    )
