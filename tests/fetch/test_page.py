"""pingsvc.fetch.page: Content-Type parsing and decoding page bytes the way a browser does."""

from __future__ import annotations

import codecs
import gzip

import pytest

from pingsvc.fetch.page import Page, choose_codec, decode_body, parse_content_type


def test_content_type_parsing() -> None:
    assert parse_content_type('text/HTML; charset="ISO-8859-1"') == ("text/html", "iso-8859-1")
    assert parse_content_type("") == ("text/html", None)
    assert parse_content_type("application/json") == ("application/json", None)


@pytest.mark.parametrize(
    ("body", "charset", "expected"),
    [
        ("café".encode(), None, "utf-8"),
        ("café".encode("cp1252"), None, "cp1252"),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "latin-1", "utf-8"),  # BOM wins over the header
        ('<meta charset="koi8-r"><p>\xc1</p>'.encode("latin-1"), None, "koi8-r"),
        ("café".encode("cp1252"), "iso-8859-1", "cp1252"),  # browsers read Latin-1 as cp1252
        (b"caf\xc3\xa9", "rot13", "utf-8"),  # not a text encoding: ignored
        (b"caf\xc3\xa9", "base64", "utf-8"),
        (b"+ADw-script+AD4-", "utf-7", "utf-8"),  # browsers never decode UTF-7
        (b"caf\xc3\xa9", "no-such-charset", "utf-8"),
    ],
)
def test_the_encoding_is_chosen_like_a_browser(
    body: bytes, charset: str | None, expected: str
) -> None:
    assert choose_codec(body, charset) == expected


def test_decoding_never_raises_on_bad_bytes() -> None:
    assert decode_body(b"caf\xff", "utf-8") == "caf\ufffd"
    assert decode_body(gzip.compress(b"x"), "utf-16") != ""
    page = Page(
        url="http://x.example/", status_code=200, media_type="text/html", body=b"<p>\xe9</p>"
    )
    assert page.text == "<p>é</p>"


# Encodings: decode_body reads bytes the way a browser would.


@pytest.mark.parametrize(
    ("body", "charset", "text"),
    [
        ("café".encode("latin-1"), "ISO-8859-1", "café"),
        (b"\x93quoted\x94 \x80", "latin1", "“quoted” €"),  # the Latin-1 label is windows-1252
        ("①猫".encode("cp932"), "Shift_JIS", "①猫"),  # NEC row 13 exists only in cp932
        ("猫".encode("cp932"), "windows-31j", "猫"),
        ("hé".encode("utf-16-le"), "utf-16", "hé"),  # the bare label without a BOM is LE
        (codecs.BOM_UTF16_BE + "hé".encode("utf-16-be"), "iso-8859-1", "hé"),  # BOM wins
        (codecs.BOM_UTF8 + "hé".encode(), "windows-1252", "hé"),
        ("<meta charset='utf-8'>é".encode("latin-1"), "latin-1", "<meta charset='utf-8'>é"),
    ],
)
def test_bom_then_http_charset_decide(body: bytes, charset: str, text: str) -> None:
    assert decode_body(body, charset) == text


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('<meta charset="shift_jis"><p>猫</p>'.encode("cp932"), "<p>猫</p>"),
        (
            "<meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>“”".encode(
                "cp1252"
            ),
            "“”",
        ),
        ("<?xml version='1.0' encoding='ISO-8859-1'?><p>é</p>".encode("latin-1"), "<p>é</p>"),
        ("<meta charset='utf-16'><p>é</p>".encode(), "<p>é</p>"),  # ASCII-readable: not UTF-16
        ("<meta charset='no-such-codec'><p>é</p>".encode(), "<p>é</p>"),
        ("<p>é</p>".encode(), "<p>é</p>"),
        ("<p>café</p>".encode("cp1252"), "<p>café</p>"),  # not UTF-8, nothing declared
    ],
)
def test_without_a_bom_or_http_charset_the_page_declares_its_encoding(
    body: bytes, text: str
) -> None:
    assert decode_body(body, None).endswith(text)


def test_undecodable_bytes_become_replacement_characters_not_errors() -> None:
    assert decode_body(b"ok \xff\xfe\xfd", "utf-8") == "ok \ufffd\ufffd\ufffd"
    assert decode_body(b"\x82\xa0\x82", "shift_jis") == "あ\ufffd"
