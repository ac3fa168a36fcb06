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


def test_heavy_bench_pages_are_wordpress_posts_with_threads_of_12_to_40_comments() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from bench.pages import HEAVY_KINDS, heavy_page

    for index in range(24):
        text = heavy_page(index, target(index))
        assert 30_000 <= len(text.encode()) <= 100_000, index
        assert text.startswith("<!DOCTYPE html>")
        assert f'href="{target(index)}"' in text
        tree = LexborHTMLParser(text)
        comments = tree.css("#comments li.comment")
        assert 12 <= len(comments) <= 40, index
        assert tree.css_first("ol.children li.comment") is not None  # replies are nested
        assert all(c.css_first("img.avatar") and c.css_first(".comment-reply-link")
                   for c in comments)  # fmt: skip
        if HEAVY_KINDS[index % len(HEAVY_KINDS)] == "classic":  # mf1 only, as twentytwelve
            assert "h-entry" not in text and len(tree.css(".hentry")) == 1
            assert len(tree.css(".comment-author.vcard")) == len(comments)
        else:
            cites = tree.css(".p-comment.h-cite")
            assert len(cites) == len(comments)
            assert all(c.css_first(".p-author.h-card img.u-photo") for c in cites)
            assert all(c.css_first(".dt-published") and c.css_first(".u-url") for c in cites)
            assert f'href="p{index}.html" class="u-url"' in text  # a post of its own
    assert heavy_page(5, target(5)) == heavy_page(5, target(5))
