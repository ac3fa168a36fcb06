"""Realistic source pages for the benchmarks, of two kinds:
- plain (`page`): 30–60 KB blog posts with a heavy <head>, nav, a long article, a few
  comments and a footer, about three in four marked up with microformats;
- heavy (`heavy_page`): WordPress-shaped posts carrying a thread of 12–40 comments (each an
  h-cite with its author's h-card, avatar, name and URL, dates, a reply link; replies nested
  in `<ol class="children">`), 30–60 KB and more, as the mf2 themes and plugins emit them;
  one in eight is a classic theme's mf1 markup (hentry, vcard comments), as
  tests/pages/wp-classic-pingback.html."""

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


HEAVY_KINDS = ("reply", "like", "mention", "repost", "reply", "bookmark", "mention", "classic")


def _avatar(rng: random.Random, size: int = 56) -> str:
    digest = f"{rng.getrandbits(128):032x}"
    src = f"https://secure.gravatar.com/avatar/{digest}?s={size}&#038;d=mm&#038;r=g"
    return (
        f"<img alt='' src='{src}' srcset='{src.replace(f's={size}', f's={2 * size}')} 2x' "
        f"class='avatar avatar-{size} photo{{extra}}' height='{size}' width='{size}' "
        "loading='lazy' decoding='async'/>"
    )


def _comment(rng: random.Random, post: str, number: int, depth: int, classic: bool) -> str:
    """One WordPress comment (the `<li>` without its end tag: replies go inside it)."""
    name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
    site = f"https://{rng.choice(WORDS)}{number}.example/"
    cid = 3000 + number
    day, hour = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", rng.randint(10, 23)
    when = f"{day}T{hour}:0{number % 10}:00+00:00"
    parity = "even" if number % 2 == 0 else "odd alt"
    text = "".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(1, 4)))}</p>"
        for _ in range(rng.randint(1, 2))
    )
    reply = (
        f"<div class=\"reply\"><a rel='nofollow' class='comment-reply-link' "
        f'href=\'{post}?replytocom={cid}#respond\' data-commentid="{cid}" data-postid="1184" '
        f'data-belowelement="comment-{cid}" data-respondelement="respond" '
        f"data-replyto=\"Reply to {name}\" aria-label='Reply to {name}'>Reply</a></div>"
    )
    if classic:  # twentytwelve: mf1 vcard only
        avatar = _avatar(rng, 44).replace("{extra}", "")
        return f"""<li class="comment {parity} thread-{parity.split()[0]} depth-{depth}"
 id="li-comment-{cid}">
<article id="comment-{cid}" class="comment"><header class="comment-meta comment-author vcard">
{avatar}<cite><b class="fn"><a href="{site}" class="url" rel="external nofollow ugc">{name}</a>
</b> </cite><a href="{post}#comment-{cid}"><time datetime="{when}">{when[:10]}</time></a>
</header>
<section class="comment-content comment">{text}</section>{reply}</article>"""
    avatar = _avatar(rng).replace("{extra}", " u-photo")
    return f"""<li id="comment-{cid}"
 class="comment {parity} thread-{parity.split()[0]} depth-{depth}">
<article id="div-comment-{cid}" class="comment-body p-comment h-cite">
<footer class="comment-meta"><div class="comment-author vcard p-author h-card">{avatar}
<b class="fn p-name"><a href="{site}" rel="external nofollow ugc" class="url u-url">{name}</a>
</b> <span class="says">says:</span></div>
<div class="comment-metadata"><a class="u-url" href="{post}#comment-{cid}">
<time class="dt-published" datetime="{when}">{when[:10]} at {when[11:16]}</time></a></div>
</footer><div class="comment-content e-content p-name">{text}</div>{reply}</article>"""


def _thread(rng: random.Random, post: str, classic: bool) -> str:
    """12–40 comments, about a third of them replies (nested up to three deep), then the
    comment form."""
    total = rng.randint(12, 40)
    parts = [_comment(rng, post, 0, 1, classic)]
    depth = 1  # of the last comment, whose <li> is still open
    for number in range(1, total):
        roll = rng.random()
        if depth < 3 and roll < 0.35:  # a reply to the last one, inside its <li>
            parts.append('<ol class="children">')
            depth += 1
        else:
            parts.append("</li>")
            if depth > 1 and roll > 0.7:  # back to an earlier level of the thread
                up = rng.randint(1, depth - 1)
                parts.append("</ol></li>" * up)
                depth -= up
        parts.append(_comment(rng, post, number, depth, classic))
    parts.append("</li>" + "</ol></li>" * (depth - 1))
    form = (
        '<div id="respond" class="comment-respond">'
        '<h3 id="reply-title" class="comment-reply-title">'
        'Leave a Reply <small><a rel="nofollow" id="cancel-comment-reply-link" '
        f'href="{post}#respond" style="display:none;">Cancel reply</a></small></h3>'
        '<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
        '<p class="comment-form-comment"><label for="comment">Comment</label> <textarea '
        'id="comment" name="comment" cols="45" rows="8" maxlength="65525" required></textarea></p>'
        '<p class="comment-form-author"><label for="author">Name</label> <input id="author" '
        'name="author" type="text" size="30" maxlength="245" autocomplete="name"></p>'
        '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
        'value="Post Comment"></p></form></div>'
    )
    return (
        f'<div id="comments" class="comments-area"><h2 class="comments-title">{total} thoughts '
        f'on this post</h2><ol class="comment-list">{"".join(parts)}</ol>{form}</div>'
    )


def heavy_page(index: int, target: str, size_range: tuple[int, int] = (31_500, 60_000)) -> str:
    """WordPress-shaped post number `index` linking to `target`, with a thread of 12–40
    comments; 30–60 KB, more when the thread alone is longer; deterministic."""
    rng = random.Random(10**6 + index)
    kind = HEAVY_KINDS[index % len(HEAVY_KINDS)]
    classic = kind == "classic"
    host = f"site{index % 997}.example"
    base = f"https://{host}"
    path = f"p{index}.html"  # relative, as in `page`: each source URL is a post of its own
    title = _sentence(rng, 4, 9).rstrip(".")
    site = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
    wanted = rng.randint(*size_range)
    head = _head(rng, title, site)
    thread = _thread(rng, path, classic)
    nav = _nav(rng, base)
    footer = _footer(rng, base)
    widgets = "".join(
        f'<aside class="widget widget_recent_entries"><h3 class="widget-title">'
        f"{_sentence(rng, 2, 3)}</h3><ul>"
        + "".join(
            f'<li><a href="{base}/2024/{rng.randrange(999)}/">{_sentence(rng, 3, 7)}</a></li>'
            for _ in range(5)
        )
        + "</ul></aside>"
        for _ in range(3)
    )
    fixed = len(head) + len(thread) + len(nav) + len(footer) + len(widgets) + 2500
    body: list[str] = []
    link_at = rng.randint(0, 3)
    size = 0
    while not body or fixed + size < wanted:
        text = _paragraph(rng)
        if len(body) == link_at:
            link_text = "this post" if kind == "mention" else title
            text = f'{text} As <a href="{target}">{link_text}</a> puts it, {_sentence(rng)}'
        elif rng.random() < 0.3:
            text = f'{text} <a href="{base}/notes/{rng.randrange(10**5)}">{rng.choice(WORDS)}</a>.'
        body.append(f"<p>{text}</p>")
        size += len(body[-1])
    while len(body) <= link_at:
        body.append(f'<p>See <a href="{target}">{title}</a>.</p>')
    content = "\n".join(body)
    published = f"2024-05-0{index % 9 + 1}T10:00:00+02:00"
    if classic:
        article = f"""<article id="post-{index}"
 class="post-{index} post type-post status-publish format-standard hentry category-notes">
<header class="entry-header"><h1 class="entry-title">{title}</h1></header>
<div class="entry-content">{content}</div>
<footer class="entry-meta">Posted on <a href="{path}" rel="bookmark">
<time class="entry-date published" datetime="{published}">1 May 2024</time></a>
<span class="by-author"> by <span class="author vcard">
<a class="url fn n" href="/" rel="author">{site}</a></span></span>.</footer>
</article>"""
    else:
        relation = {
            "reply": "u-in-reply-to", "like": "u-like-of", "repost": "u-repost-of",
            "bookmark": "u-bookmark-of",
        }.get(kind)  # fmt: skip
        relation_link = (
            f'<p class="response">In reply to <a class="{relation}" href="{target}">'
            f"{target}</a></p>"
            if relation
            else ""
        )
        article = f"""<article id="post-{index}"
 class="post-{index} post type-post status-publish format-standard hentry h-entry">
<header class="entry-header"><h1 class="entry-title p-name">{title}</h1>
<div class="entry-meta"><span class="byline"><span class="author vcard p-author h-card">
<img class="u-photo avatar" src="/me.jpg" alt="" width="40" height="40">
<a class="url fn n u-url" href="/">{site}</a></span></span>
<span class="posted-on"><a href="{path}" class="u-url" rel="bookmark">
<time class="entry-date published dt-published" datetime="{published}">1 May 2024</time></a>
</span></div></header>
{relation_link}
<div class="entry-content e-content">{content}</div>
<footer class="entry-footer"><span class="cat-links">Posted in
<a href="{base}/category/notes/" rel="category tag">Notes</a></span></footer>
{thread}
</article>"""
    if classic:
        article += thread
    return (
        f'{head}<body class="post-template-default single single-post">'
        f'<div id="page" class="site">{nav}<div id="content" class="site-content">'
        f'<main id="main" class="site-main">{article}</main>'
        f'<div id="secondary" class="widget-area">{widgets}</div></div>{footer}</div>'
        "</body></html>"
    )


KINDS_OF_PAGES = {"plain": "pages-v3", "heavy": "heavy-v1"}  # page kind: its cache folder


def target(index: int) -> str:
    """The post that page `index` links to (100 posts on the registered site)."""
    return f"https://blog.example/post/{index % 100}"


def write_pages(folder: Path, count: int, kind: str = "plain") -> list[str]:
    """Write pages p0.html … of `kind` (plain or heavy) into `folder`, reusing ones already
    there; return their names."""
    make = heavy_page if kind == "heavy" else page
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = f"p{index}.html"
        path = folder / name
        if not path.exists():
            path.write_text(make(index, target(index)), encoding="utf-8")
        names.append(name)
    return names


if __name__ == "__main__":
    for make in (page, heavy_page):
        sample = make(1, "https://blog.example/post/1")
        print(make.__name__, len(sample.encode()), "bytes")
