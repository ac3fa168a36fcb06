"""Realistic 30–60 KB source pages for the benchmarks: blog posts with a heavy <head>, nav,
a long article, comments and a footer, about three in four marked up with microformats."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list literal
    "the of and to in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so what up out about who get them me some could my than first water more been people "
    "webmention indieweb microformats syndication permalink blog feed reply like repost "
    "bookmark server request response latency database queue worker parser static site "
    "garden walk coffee train music photograph weekend library kitchen river mountain"
).split()

KINDS = ("reply", "like", "repost", "mention", "bookmark", "plain", "plain-wp", "reply")


def _sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 7)))


def _head(rng: random.Random, title: str, site: str) -> str:
    styles = "\n".join(
        f".c{i} {{ margin: {i % 7}px {i % 5}px; color: #{rng.randrange(0xFFFFFF):06x}; "
        f"font: {12 + i % 6}px/1.{i % 9} system-ui, sans-serif; }}"
        for i in range(rng.randint(60, 140))
    )
    script = "\n".join(
        f"window.__cfg{i} = {{id: {rng.randrange(10**6)}, tag: '{rng.choice(WORDS)}', "
        f"list: [{', '.join(str(rng.randrange(1000)) for _ in range(8))}]}};"
        for i in range(rng.randint(20, 60))
    )
    published = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z"
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {site}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{published}">
<link rel="stylesheet" href="/assets/site.css?v={rng.randrange(10**6)}">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="webmention" href="https://webmention.example/webmention">
<style>{styles}</style>
<script>{script}</script>
</head>"""


def _nav(rng: random.Random, base: str) -> str:
    items = "".join(
        f'<li><a href="{base}/{rng.choice(WORDS)}/{i}">{rng.choice(WORDS).title()}</a></li>'
        for i in range(rng.randint(10, 30))
    )
    return f'<header class="site-header"><nav class="menu"><ul>{items}</ul></nav></header>'


def _article_body(rng: random.Random, target: str, link_text: str, base: str) -> str:
    parts = []
    link_at = rng.randint(1, 4)
    for i in range(rng.randint(14, 30)):
        text = _paragraph(rng)
        if i == link_at:
            text = f'{text} As <a href="{target}">{link_text}</a> puts it, {_sentence(rng)}'
        elif rng.random() < 0.3:
            text = f'{text} <a href="{base}/notes/{rng.randrange(10**5)}">{rng.choice(WORDS)}</a>.'
        parts.append(f'<p class="c{i % 40}">{text}</p>')
        if rng.random() < 0.15:
            items = "".join(f"<li>{_sentence(rng, 3, 8)}</li>" for _ in range(rng.randint(3, 7)))
            parts.append(f"<ul>{items}</ul>")
        if rng.random() < 0.08:
            parts.append(f"<pre><code>{_paragraph(rng)}</code></pre>")
    return "\n".join(parts)


def _comments(rng: random.Random, base: str, microformats: bool) -> str:
    rows = []
    for i in range(rng.randint(3, 12)):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
        if microformats:
            rows.append(
                f'<li class="u-comment h-cite"><a class="p-author h-card" '
                f'href="https://people{i}.example/">{name}</a> '
                f'<p class="p-content">{_paragraph(rng)}</p>'
                f'<a class="u-url" href="{base}#c{i}"><time class="dt-published">'
                f"2024-05-0{i % 9 + 1}</time></a></li>"
            )
        else:
            rows.append(
                f'<li class="comment"><b>{name}</b> <p>{_paragraph(rng)}</p>'
                f'<a href="{base}#c{i}">#</a></li>'
            )
    return f'<section class="comments"><ol>{"".join(rows)}</ol></section>'


def _footer(rng: random.Random, base: str) -> str:
    links = "".join(
        f'<a href="{base}/archive/{year}/{month:02d}">{year}-{month:02d}</a> '
        for year in range(2015, 2025)
        for month in range(1, 13)
        if rng.random() < 0.6
    )
    return f'<footer class="site-footer"><p>{_sentence(rng)}</p><div>{links}</div></footer>'


def page(index: int, target: str, size_range: tuple[int, int] = (31_500, 60_000)) -> str:
    """Source page number `index` linking to `target`, about 30–60 KB, deterministic."""
    rng = random.Random(index)
    kind = KINDS[index % len(KINDS)]
    host = f"site{index % 997}.example"
    base = f"https://{host}/{2024}/{index}"
    # The page's own URL is its file name, relative: the bench serves each file under many
    # source URLs (one per mention), and each of those is then a post of its own, not a copy
    # of the others. Its author's URL is relative too: nothing it links to for use is off
    # the nginx on 127.0.0.1.
    path = f"p{index}.html"
    title = _sentence(rng, 4, 9).rstrip(".")
    site = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
    wanted = rng.randint(*size_range)
    head = _head(rng, title, site)
    microformats = not kind.startswith("plain")
    relation = {
        "reply": "u-in-reply-to",
        "like": "u-like-of",
        "repost": "u-repost-of",
        "bookmark": "u-bookmark-of",
        "mention": "u-mention-of",
    }.get(kind)
    body = _article_body(rng, target, title if kind != "mention" else "this post", base)
    if microformats:
        relation_link = (
            f'<p>In reply to <a class="{relation}" href="{target}">{target}</a></p>'
            if relation and kind != "mention"
            else ""
        )
        article = f"""<article class="h-entry">
<h1 class="p-name">{title}</h1>
<p class="meta">By <a class="p-author h-card" href="/"><img class="u-photo"
 src="/me.jpg" alt="">{site}</a> on <a class="u-url" href="{path}">
<time class="dt-published" datetime="2024-05-01T10:00:00+02:00">1 May 2024</time></a></p>
{relation_link}
<div class="e-content">{body}</div>
{_comments(rng, base, True)}
</article>"""
    else:
        article = f"""<article class="post"><h1>{title}</h1>
<div class="entry">{body}</div>{_comments(rng, base, False)}</article>"""
    filler = []
    text = f"{head}<body>{_nav(rng, f'https://{host}')}<main>{article}</main>"
    size = len(text)
    footer = _footer(rng, f"https://{host}")
    while size + len(footer) < wanted - 1500:
        heading, aside = _sentence(rng, 2, 4), _paragraph(rng)
        block = f'<aside class="widget"><h3>{heading}</h3><p>{aside}</p></aside>'
        filler.append(block)
        size += len(block)
    return f"{text}{''.join(filler)}{footer}</body></html>"


def target(index: int) -> str:
    """The post that page `index` links to (100 posts on the registered site)."""
    return f"https://blog.example/post/{index % 100}"


def write_pages(folder: Path, count: int) -> list[str]:
    """Write pages p0.html … into `folder` (reusing ones already there); return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = f"p{index}.html"
        path = folder / name
        if not path.exists():
            path.write_text(page(index, target(index)), encoding="utf-8")
        names.append(name)
    return names


if __name__ == "__main__":
    sample = page(1, "https://blog.example/post/1")
    print(len(sample.encode()), "bytes")
