"""The benchmark's generated source pages are what bench/README.md says they are: 30–60 KB
posts that link to their target, about three in four marked up as h-entry."""

from __future__ import annotations

from bench.pages import page, target


def test_bench_pages_are_30_to_60_kb_and_link_to_their_target() -> None:
    pages = [page(index, target(index)) for index in range(40)]
    for index, text in enumerate(pages):
        assert 30_000 <= len(text.encode()) <= 60_000, index
        assert text.startswith("<!DOCTYPE html>")
        assert f'href="{target(index)}"' in text
        if 'class="h-entry"' in text:  # served under many URLs, each a post of its own
            assert f'class="u-url" href="p{index}.html"' in text
    marked = sum('class="h-entry"' in text for text in pages)
    assert marked == 30  # six of every eight kinds carry microformats


def test_bench_pages_are_the_same_on_every_run() -> None:
    assert page(7, target(7)) == page(7, target(7))
