"""Author photos made into the archive's square WebP avatars, and the initials fallback.

Pure Pillow over bytes (no network): run in a sandbox child (pipeline.sandbox), as image
decoders are C parsers of a stranger's bytes. Only raster formats a browser shows are
opened; the pixel count is checked from the header before any pixel is decoded.
"""

from __future__ import annotations

import functools
import hashlib
import io
import warnings

from PIL import Image, ImageDraw, ImageFont, ImageOps

from pingsvc.errors import FetchError, HostilePage

SIZES = (96, 192)
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # what an author photo is; SVG is markup, refused
MAX_PIXELS = 16_000_000  # a 4000×4000 photo; more is a bomb or no avatar
QUALITY = 82
LOSSLESS_EFFORT = 25


def render(body: bytes, max_pixels: int = MAX_PIXELS) -> dict[int, bytes]:
    """The photo in `body` as a square WebP per size in SIZES. Raises HostilePage for a
    decompression bomb, FetchError for bytes that are not one of FORMATS."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own guard, for every frame it opens
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(body), formats=FORMATS) as opened:
                width, height = opened.size
                if width * height > max_pixels:
                    raise HostilePage(
                        f"the author photo is {width}×{height} pixels, more than the "
                        f"{max_pixels} pixel limit"
                    )
                opened.draft("RGB", (max(SIZES) * 2, max(SIZES) * 2))  # JPEG: decode smaller
                opened.seek(0)  # an animated GIF or WebP: its first frame
                picture = ImageOps.exif_transpose(opened.convert("RGBA"))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise HostilePage(f"the author photo is a decompression bomb ({exc})") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's "can't read"
            raise FetchError(f"the author photo is not a readable image ({exc})") from exc
    return {
        size: _webp(ImageOps.fit(picture, (size, size), Image.Resampling.LANCZOS)) for size in SIZES
    }


def hue(text: str) -> int:
    """The initials' colour: the same one widget.hue and embed.js pick for the same name."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    return value % 360


def initial(name: str) -> str:
    return (name.strip()[:1] or "?").upper()


def initials_key(name: str) -> str:
    """The archive key of a name's initials avatar: one per letter and colour."""
    return hashlib.sha256(f"initials\n{initial(name)}\n{hue(name or '?')}".encode()).hexdigest()[
        :40
    ]


def initials(name: str) -> dict[int, bytes]:
    """A generated avatar for an author whose photo is missing or broken: the first letter
    on the colour the widget gives the name."""
    colour = _hsl(hue(name or "?"), 0.45, 0.45)
    out = {}
    for size in SIZES:
        picture = Image.new("RGB", (size, size), colour)
        draw = ImageDraw.Draw(picture)
        font = _font(size)
        draw.text((size / 2, size / 2), initial(name), fill="white", font=font, anchor="mm")
        out[size] = _webp(picture, lossless=True)
    return out


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The initials' font at `size` pixels' avatar, loaded once a process (Pillow decodes
    its bundled font anew at each load)."""
    return ImageFont.load_default(size=size * 0.5)


def _webp(picture: Image.Image, *, lossless: bool = False) -> bytes:
    """WebP: lossy for photos; lossless for initials, whose flat colour and one letter it
    keeps exactly, in fewer bytes and half the CPU (bench/README.md)."""
    buffer = io.BytesIO()
    if lossless:  # quality is the compression effort here: more gains a few bytes
        picture.save(buffer, "WEBP", lossless=True, quality=LOSSLESS_EFFORT, method=4)
    else:
        picture.save(buffer, "WEBP", quality=QUALITY, method=4)
    return buffer.getvalue()


def _hsl(h: int, s: float, lightness: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hls_to_rgb(h / 360, lightness, s)
    return round(r * 255), round(g * 255), round(b * 255)
