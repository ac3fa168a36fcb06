"""pingsvc.avatars.image: photos resized to square WebP, bombs and non-images refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFont

from pingsvc import widget
from pingsvc.avatars import image
from pingsvc.errors import FetchError, HostilePage
from tests.avatars.helpers import bomb, png


def _open(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_a_photo_becomes_a_square_webp_in_each_size() -> None:
    sizes = image.render(png(300, 200))
    assert sorted(sizes) == [96, 192]
    for size, data in sizes.items():
        picture = _open(data)
        assert (picture.format, picture.size) == ("WEBP", (size, size))


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    with pytest.raises(HostilePage, match="pixel limit|decompression bomb"):
        image.render(bomb())


def test_a_photo_over_the_pixel_limit_is_refused() -> None:
    with pytest.raises(HostilePage, match="pixel limit|decompression bomb"):
        image.render(png(200, 200), max_pixels=10_000)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>not a photo</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        png()[:40],  # a truncated PNG
        b"",
    ],
    ids=["html", "svg", "truncated", "empty"],
)
def test_bytes_that_are_not_a_raster_photo_are_refused(body: bytes) -> None:
    with pytest.raises(FetchError, match="not a readable image"):
        image.render(body)


def test_initials_are_the_first_letter_on_the_widgets_colour() -> None:
    sizes = image.initials("émile zola")
    assert sorted(sizes) == [96, 192]
    assert _open(sizes[96]).size == (96, 96)
    # One avatar per letter and colour: the same name shares it, another letter does not.
    assert image.initials_key("émile zola") == image.initials_key("émile zola")
    assert image.initials_key("Émile") != image.initials_key("Dana")
    assert image.initial("émile") == "É" and image.initial("  ") == "?"
    assert image.hue("Dana") == widget.hue("Dana")


def _chunk(data: bytes) -> bytes:
    """A WebP's first chunk: VP8 (lossy) or VP8L (lossless)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data[12:16]


def test_initials_are_lossless_and_photos_lossy() -> None:
    """The initials' flat colour comes back exactly (a lossy WebP shifts it); a photo stays
    lossy, as photos compress far better so."""
    name = "Dana"
    colour = image._hsl(image.hue(name), 0.45, 0.45)
    for size, data in image.initials(name).items():
        assert _chunk(data) == b"VP8L"
        picture = _open(data).convert("RGB")
        assert picture.getpixel((0, 0)) == colour
        assert picture.getpixel((size - 1, size - 1)) == colour
        assert (255, 255, 255) in {found for _, found in picture.getcolors(size * size)}
    assert {_chunk(data) for data in image.render(png(300, 200)).values()} == {b"VP8 "}


def test_initials_drawn_with_the_kept_font_are_the_bytes_a_fresh_font_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The font is loaded once a process (image._font); every later avatar is the same
    picture as one drawn with the font loaded anew."""
    names = ["émile zola", "Dana", "李小龙", ""]
    kept = [image.initials(name) for name in names + names]
    monkeypatch.setattr(image, "_font", lambda size: ImageFont.load_default(size=size * 0.5))
    fresh = [image.initials(name) for name in names + names]
    assert kept == fresh
