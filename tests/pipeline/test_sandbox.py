"""pipeline.sandbox's Pool: `subject=` names the page in every reason a job raises, and a
child imports nothing a job needs: the forkserver preloaded it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from pingsvc.errors import FetchError, HostilePage
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox
from tests.support.childjobs import imports_of


@pytest.fixture(scope="module")
def readers() -> Iterator[sandbox.Pool]:
    readers = sandbox.Pool(1, 5.0)
    yield readers
    readers.close()


def _refuse(reason: str) -> None:
    raise HostilePage(reason, status_code=200)


def _spin() -> None:
    while True:
        pass


def test_a_childs_error_speaks_of_the_source_unless_a_subject_is_named(
    readers: sandbox.Pool,
) -> None:
    with pytest.raises(HostilePage) as plain:
        readers.run(_refuse, "the source (text/html) nests", wall_limit=30, what="a test")
    assert plain.value.reason == "the source (text/html) nests"
    with pytest.raises(HostilePage) as named:
        readers.run(
            _refuse, "the source (text/html) nests", wall_limit=30, what="a test",
            subject="the target",
        )  # fmt: skip
    assert named.value.reason == "the target (text/html) nests"
    assert (named.value.kind, named.value.status_code) == ("hostile", 200)


def test_the_pools_own_reasons_name_the_subject(readers: sandbox.Pool) -> None:
    with pytest.raises(sandbox.OverBudget, match=r"^the source page's markup took more"):
        readers.run(_spin, wall_limit=30, what="a test", cpu_limit=0.05)
    with pytest.raises(sandbox.OverBudget, match=r"^the target's markup took more than 0.05 s"):
        readers.run(_spin, wall_limit=30, what="a test", cpu_limit=0.05, subject="the target")


def test_a_fetch_error_is_still_a_fetch_error_after_naming(readers: sandbox.Pool) -> None:
    with pytest.raises(FetchError, match="^the post is binary"):
        readers.run(_binary, wall_limit=30, what="a test", subject="the post")


def _binary() -> None:
    raise FetchError("the source is binary data served as text/html")


HTML = Page(
    "https://a.example/post", 200, "text/html",
    b"<html><head><link rel=webmention href=/wm><link rel=token_endpoint href=/token></head>"
    b"<body class=h-entry><p class=e-content>Hi <a href=https://t.example/1>t</a></p>"
    b"<a class='p-author h-card' href=https://a.example/>Ada</a></body></html>",
)  # fmt: skip
FEED = Page(
    "https://a.example/feed", 200, "application/rss+xml",
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
    b"<item><link>https://a.example/1</link><guid>1</guid></item></channel></rss>",
)  # fmt: skip


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "teal").save(buffer, kind)
    return buffer.getvalue()


# Every function the code hands to Pool.run, with arguments it reads without an error.
JOBS: list[tuple[str, str, tuple[Any, ...]]] = [
    ("pingsvc.pipeline.steps", "read", (HTML, "https://t.example/1", FetchPolicy(), 300)),
    ("pingsvc.pipeline.vouch", "links_to_domain", (HTML, "t.example", 512)),
    ("pingsvc.pipeline.private", "read_token_endpoint", (HTML, 512)),
    ("pingsvc.pipeline.author_pages", "read_author_page", (HTML, "https://a.example/", 512)),
    ("pingsvc.send.deliver", "read_endpoint", (HTML, 512)),
    ("pingsvc.send.deliver", "read_links", (HTML, 512, False)),
    ("pingsvc.send.feeds", "read_feed", (FEED, 512)),
    ("pingsvc.avatars.image", "render", (_image("JPEG"),)),
    ("pingsvc.avatars.image", "render", (_image("PNG"),)),
    ("pingsvc.avatars.image", "render", (_image("GIF"),)),
    ("pingsvc.avatars.image", "render", (_image("WEBP"),)),
    ("pingsvc.avatars.image", "initials", ("Ada Lovelace",)),
]


@pytest.mark.parametrize(
    ("module", "name", "args"), JOBS, ids=[f"{m}.{n}-{i}" for i, (m, n, _) in enumerate(JOBS)]
)
def test_a_new_child_imports_nothing_for_its_first_job(
    module: str, name: str, args: tuple[Any, ...]
) -> None:
    """Children are forked from a forkserver that imported PRELOAD: a job whose modules it
    left out makes every new child import them (Pillow's 40 plugins, feedparser...)."""
    fresh = sandbox.Pool(1, 5.0)  # a child of its own, which has run no other job
    try:
        assert fresh.run(imports_of, module, name, *args, wall_limit=60, what="a test") == []
    finally:
        fresh.close()


def test_a_long_temporary_folder_still_starts_the_readers(tmp_path: Any) -> None:
    """`pingsvc serve` gives an embedded worker VAR_DIR/tmp as its TMPDIR; a deep VAR_DIR
    made the forkserver's socket path too long for a Unix socket, and no page was read."""
    import os
    import subprocess
    import sys

    long = tmp_path / ("d" * 60) / ("e" * 60)
    long.mkdir(parents=True)
    job = (
        "from pingsvc.pipeline import sandbox\n"
        "print(sandbox.pool(1, 5.0).run(sum, [1, 2, 3], wall_limit=60, what='a sum'))\n"
    )
    env = {**os.environ, "TMPDIR": str(long)}
    done = subprocess.run(
        [sys.executable, "-c", job], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "6"
    assert not list(long.iterdir())  # nothing of multiprocessing's was left there
