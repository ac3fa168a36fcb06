"""A fetched page as a plain value (no I/O), and how its bytes are decoded as browsers do."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
JSON_TYPES = {"application/json", "application/ld+json", "application/activity+json"}


@dataclass
class Page:
    """A fetched document: the final URL after redirects, its media type and decoded text."""

    url: str
    status_code: int
    media_type: str
    body: bytes
    charset: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    _text: str | None = field(default=None, repr=False)
    _tree: LexborHTMLParser | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = decode_body(self.body, self.charset, html=self.is_html)
        return self._text

    @property
    def tree(self) -> LexborHTMLParser:
        """The page parsed by lexbor once, for the link check and the extraction to share;
        they only read it (what changes a tree parses its own)."""
        if self._tree is None:
            self._tree = LexborHTMLParser(self.text)
        return self._tree

    @property
    def is_html(self) -> bool:
        return self.media_type in {"text/html", "application/xhtml+xml"}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its tree (lexbor's can't be) and decoded text (the body is sent
        once): a sandbox child decodes and parses it again."""
        return {**self.__dict__, "_text": None, "_tree": None}

    @property
    def is_json(self) -> bool:
        return self.media_type in JSON_TYPES or self.media_type.endswith("+json")


def parse_content_type(value: str) -> tuple[str, str | None]:
    """("text/html", "utf-8") from a Content-Type header; missing type is text/html."""
    parts = [p.strip() for p in value.split(";")]
    media_type = parts[0].lower() or "text/html"
    charset = None
    for param in parts[1:]:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media_type, charset


# What browsers decode these labels as (WHATWG Encoding): each is a superset of its label.
_BROWSER_CODECS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
}
# Labels browsers know and Python's codec registry doesn't.
_LABELS = {
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "utf16le": "utf-16-le",
    "utf16be": "utf-16-be",
}
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")


def _known(codec: str | None) -> str | None:
    """Python's name for a text encoding label, as browsers read it (Latin-1 as cp1252,
    Shift_JIS as cp932...); None for unknown labels, for codecs that are not text encodings
    (base64, rot13, zlib...) and for UTF-7, which browsers never decode."""
    if not codec:
        return None
    label = codec.strip().lower()
    try:
        info = codecs.lookup(_LABELS.get(label, label))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        return None
    return _BROWSER_CODECS.get(info.name, info.name)


def _declared(body: bytes) -> str | None:
    """The charset the document declares in its first bytes: <meta charset>, <meta
    http-equiv=Content-Type content="...; charset=">, or an XML declaration."""
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    codec = _known(match.group(1).decode("ascii", "ignore")) if match else None
    # An ASCII-readable declaration of UTF-16 can't be true of a UTF-16 page; browsers take
    # it as UTF-8, and so does this.
    return "utf-8" if codec and codec.startswith("utf-16") else codec


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def find_bom(body: bytes) -> tuple[bytes, str] | None:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return bom, codec
    return None


def choose_codec(body: bytes, charset: str | None, *, html: bool = True) -> str:
    """The encoding to read `body` in: BOM, then the HTTP charset, then the document's own
    declaration (<meta charset>, http-equiv, <?xml encoding>), then UTF-8 when the bytes are
    valid UTF-8, else cp1252."""
    bom = find_bom(body)
    if bom:
        return bom[1]
    codec = _known(charset)
    if codec == "utf-16":
        codec = "utf-16-le"  # the WHATWG meaning of the bare label, without a BOM
    if codec is None and html:
        codec = _declared(body)
    if codec is not None:
        return codec
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_body(body: bytes, charset: str | None, *, html: bool = True) -> str:
    """Decode by BOM, then the HTTP charset, then <meta charset>, then UTF-8, then cp1252."""
    bom = find_bom(body)
    codec = choose_codec(body, charset, html=html)
    raw = body[len(bom[0]) :] if bom else body
    return raw.decode(codec, errors="replace")
