"""Images for the avatar tests: a real photo, a decompression bomb, and bytes that lie."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png(width: int = 300, height: int = 200, colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb(side: int = 60_000) -> bytes:
    """A PNG a few hundred bytes long that says it is side×side pixels: decoding it would
    take gigabytes. Its header alone must get it refused."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
