"""The saved corpus's encodings: the committed pages are its one source; this re-encodes the
non-UTF-8 ones after an edit, and says what a page's bytes must be in its declared encoding.

    python -m tests.support.corpus edit latin1.html   # writes tests/pages/latin1.html.utf8
    python -m tests.support.corpus save latin1.html   # encodes it back, strictly; removes it
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent / "pages"
# The Python codec each declared encoding is written in (browsers read the labels alike:
# tests/pipeline/test_corpus.py checks that pingsvc decodes them so).
WRITTEN_AS = {
    "utf-8": "utf-8",
    "iso-8859-1": "latin-1",
    "windows-1252": "cp1252",
    "shift_jis": "shift_jis",
    "utf-16": "utf-16-le",
}
UTF16_BOM = b"\xff\xfe"


def declared(name: str) -> str:
    """The encoding a page's expectations declare (UTF-8 when they say none)."""
    stem = name.removesuffix(".html")
    expected = json.loads((PAGES / f"{stem}.expected.json").read_text(encoding="utf-8"))
    return str(expected.get("encoding", "utf-8"))


def encode(text: str, encoding: str) -> bytes:
    """`text` as the page's bytes; raise ValueError when it can't be said in `encoding` or
    would not read the same way in a browser."""
    data = text.encode(WRITTEN_AS[encoding])  # strict: fails on anything it can't hold
    if encoding == "iso-8859-1" and any(0x80 <= b <= 0x9F for b in data):
        raise ValueError("ISO-8859-1 pages stay clear of 0x80-0x9F (browsers read cp1252)")
    if encoding == "windows-1252" and not any(0x80 <= b <= 0x9F for b in data):
        raise ValueError("the windows-1252 page is meant to use the bytes 0x80-0x9F")
    if encoding == "shift_jis" and data.decode("cp932") != text:
        raise ValueError("browsers decode Shift_JIS as windows-31j; this text differs there")
    return UTF16_BOM + data if encoding == "utf-16" else data


def decode(data: bytes, encoding: str) -> str:
    """The text of a page's bytes, strictly in its declared encoding."""
    if encoding == "utf-16":
        if not data.startswith(UTF16_BOM):
            raise ValueError("the UTF-16 page starts with a little-endian BOM")
        data = data[len(UTF16_BOM) :]
    return data.decode(WRITTEN_AS[encoding])


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"edit", "save"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, name = argv
    page, draft = PAGES / name, PAGES / f"{name}.utf8"
    encoding = declared(name)
    if command == "edit":
        draft.write_text(decode(page.read_bytes(), encoding), encoding="utf-8", newline="")
    else:
        page.write_bytes(encode(draft.read_bytes().decode("utf-8"), encoding))
        draft.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
