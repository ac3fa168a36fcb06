"""Author pages are fetched by the worker and read in a child of their own: a slow author page
holds no parse slot, a costly one is charged to itself, and one fetch serves many mentions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from itertools import count

import pytest

from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import author_pages, steps
from tests.conftest import TARGET
from tests.support.pageserver import PageServer

_paths = count()
CARD = "<div class='h-card'><a class='u-url u-uid p-name' href=''>Ann Author</a></div>"


@pytest.fixture(autouse=True)
def _no_remembered_author_pages() -> Iterator[None]:
    author_pages.forget()
    yield
    author_pages.forget()


def _settings(pages: PageServer, *, processes: int = 2, cpu: float = 1.0) -> steps.PipelineSettings:
    policy = FetchPolicy(allow=frozenset({pages.hostport}), timeout=60.0)
    return steps.PipelineSettings(
        policy=policy, parse_processes=processes, parse_cpu_limit=cpu, parse_cpu_per_mib=0
    )


def _source(pages: PageServer, author: str) -> str:
    """A reply whose author is only a link to `author`: the algorithm asks for that page."""
    return pages.add(
        f"/authored/{next(_paths)}",
        f"<article class='h-entry'><a class='u-author' href='{author}'></a>"
        f"<a class='u-in-reply-to' href='{TARGET}'>re</a><p class='e-content'>Hi</p></article>",
    )


def test_a_slow_author_page_holds_no_parse_child(pages: PageServer) -> None:
    """With one parse child, a mention whose author page is slow to answer must not stop
    another mention from being read meanwhile. On main the author page was fetched inside
    the child, so the second mention waited for the first one's author page: the order
    below was reversed."""
    asked, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_card() -> Iterator[bytes]:
        asked.set()
        release.wait(30)  # a slow author page, answering once the other mention is read
        order.append("author page answered")
        yield CARD.encode()

    author = pages.add(f"/slow-author/{next(_paths)}")
    pages.routes[author.removeprefix(pages.base)].body = slow_card
    settings = _settings(pages, processes=1, cpu=0.97)  # a pool of its own, one child
    results: list[object] = []
    first = threading.Thread(
        target=lambda: results.append(steps.inspect(_source(pages, author), TARGET, settings))
    )
    first.start()
    assert asked.wait(30), "the author page was never asked for"
    other = pages.add(
        f"/other/{next(_paths)}",
        f"<article class='h-entry'><span class='p-author h-card'>Bo</span>"
        f"<a class='u-like-of' href='{TARGET}'>like</a></article>",
    )
    second = steps.inspect(other, TARGET, settings)
    order.append("other mention read")
    release.set()
    first.join(60)
    assert order == ["other mention read", "author page answered"]
    assert second.author_name == "Bo"
    assert [getattr(r, "author_name", r) for r in results] == ["Ann Author"]


def test_a_costly_author_page_is_charged_to_itself_not_to_the_source(
    pages: PageServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An author page over the CPU budget leaves the mention verified with the source page's
    own fallback author; the reason names the author page. On main its parse ran in the
    source's child and the source was refused as over budget."""
    author = pages.add(
        f"/costly-author/{next(_paths)}",
        "<!doctype html><body><div class='h-card'>" + "<rb>" * 250_000,
    )
    source = _source(pages, author)
    with caplog.at_level(logging.INFO, logger="pingsvc.pipeline.author_pages"):
        data = steps.inspect(source, TARGET, _settings(pages, cpu=0.25))
    assert data.property == "in-reply-to"
    assert data.author_url == author
    assert data.author_name == "127.0.0.1"  # the fallback: the author page's host
    assert "the author page's markup took more than 0.25 s of CPU to parse" in caplog.text


def test_one_fetch_of_an_author_page_serves_many_mentions(pages: PageServer) -> None:
    author = pages.add(f"/shared-author/{next(_paths)}", CARD)
    missing = pages.url(f"/missing-author/{next(_paths)}")
    settings = _settings(pages)
    for _ in range(3):
        assert steps.inspect(_source(pages, author), TARGET, settings).author_name == "Ann Author"
        fallback = steps.inspect(_source(pages, missing), TARGET, settings)
        assert (fallback.author_name, fallback.author_url) == ("127.0.0.1", missing)
    path = author.removeprefix(pages.base)
    assert pages.hits.count(path) == 1
    assert pages.hits.count(missing.removeprefix(pages.base)) == 1  # a failure is remembered too
