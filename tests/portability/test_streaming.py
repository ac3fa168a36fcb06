"""The WXR reader streams, and the importer stores batch by batch: a larger export takes no
more memory (tracemalloc's peak, not a timing)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from pingsvc.db import Database
from pingsvc.migrate import upgrade
from pingsvc.portability import wordpress
from pingsvc.portability.importer import import_records

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big</title><link>https://blog.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
"""
COMMENT = """<wp:comment><wp:comment_id>{id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {id}]]></wp:comment_author>
<wp:comment_author_url>https://reader{id}.example/</wp:comment_author_url>
<wp:comment_date_gmt>2019-05-01 08:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{text}]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>
"""
TEXT = "A comment long enough to weigh something. " * 20


def _export(path: Path, posts: int, per_post: int = 20) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        serial = 0
        for post in range(posts):
            out.write(f"<item><title>Post {post}</title>")
            out.write(f"<link>https://blog.example/{post}/</link>")
            out.write(f"<content:encoded><![CDATA[{TEXT * 5}]]></content:encoded>")
            out.write(f"<wp:post_id>{post}</wp:post_id><wp:post_type>post</wp:post_type>\n")
            for n in range(per_post):
                serial += 1
                parent = serial - 1 if n else 0
                out.write(COMMENT.format(id=serial, text=TEXT, parent=parent))
            out.write("</item>\n")
        out.write("</channel></rss>\n")
    return path


def _peak(path: Path) -> tuple[int, int]:
    """(records read, peak bytes allocated while reading them one by one)."""
    count = 0
    tracemalloc.start()
    try:
        for _record in wordpress.read_files([path]):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_reading_a_ten_times_larger_export_takes_no_more_memory(tmp_path: Path) -> None:
    small = _export(tmp_path / "small.xml", posts=50)
    large = _export(tmp_path / "large.xml", posts=500)
    assert large.stat().st_size > 9 * small.stat().st_size > 9 * 2**20
    small_count, small_peak = _peak(small)
    large_count, large_peak = _peak(large)
    assert (small_count, large_count) == (1_000, 10_000)
    # A reader that kept the tree (or the records) would need ten times as much; streaming
    # needs a chunk, one item's fields and the records of one chunk.
    assert large_peak < 1.5 * small_peak + 256 * 1024, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 10


def _import_peak(path: Path, url: str) -> tuple[int, int]:
    upgrade(url)
    db = Database(url)
    tracemalloc.start()
    try:
        report = import_records(
            db, wordpress.read_files([path]), site_host="blog.example", batch_size=100
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        db.dispose()
    return report.imported, peak


def test_importing_a_five_times_larger_export_takes_no_more_memory(tmp_path: Path) -> None:
    small = _export(tmp_path / "small.xml", posts=20)
    large = _export(tmp_path / "large.xml", posts=100)
    small_count, small_peak = _import_peak(small, f"sqlite:///{tmp_path / 'small.sqlite3'}")
    large_count, large_peak = _import_peak(large, f"sqlite:///{tmp_path / 'large.sqlite3'}")
    assert (small_count, large_count) == (400, 2_000)
    # Batches are stored and let go: an importer that kept every record (or every row) would
    # hold 1,600 more of them, megabytes, at the end.
    assert large_peak < 1.5 * small_peak + 512 * 1024, (small_peak, large_peak)
