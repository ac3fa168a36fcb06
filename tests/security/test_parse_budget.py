"""Markup that costs parsers superlinear time: a corpus generated here, each page up to the
byte limit, through the real fetch, link check and extraction. Each must end within the CPU
budget: rejected with a reason that says so (or that it nests too deep), or with a normal
verdict. One page of each kind goes through a real worker too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pingsvc.errors import FetchError, HostilePage, TransientFetchError
from pingsvc.extract.entry import MentionData, extract
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox, steps
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer

LIMIT = 1024 * 1024  # PINGSVC_FETCH_MAX_BYTES's default: the largest page a sender can send
BUDGET = 0.25  # CPU seconds: the mechanism is the default's, the corpus runs four times faster
LINK = f'<a href="{TARGET}">the post</a>'
HEAD = f"<!doctype html><html><body><article class='h-entry'>{LINK}<div class='e-content'>"
OVER_BUDGET = "s of CPU to parse"
TOO_DEEP = "levels deep"


def fill(unit: str, head: str = HEAD, tail: str = "") -> str:
    """`unit` repeated until the page is just under the byte limit."""
    return head + unit * ((LIMIT - len(head) - len(tail)) // len(unit)) + tail


def _attributes(count: int) -> str:
    return "<div " + " ".join(f"a{i}" for i in range(count)) + ">"


# name -> (page, whether it costs more than the budget at this size on today's parsers, so
# only a rejection is right for it). The others may end either way: their verdict is normal.
CORPUS: dict[str, tuple[Callable[[], str], bool]] = {
    # Implied end tags, nested where the tree builder nests them.
    "rb": (lambda: fill("<rb>"), True),
    "rt": (lambda: fill("<rt>"), True),
    "rtc": (lambda: fill("<rtc>"), True),
    "rp": (lambda: fill("<rp>"), True),
    "rtc-rb": (lambda: fill("<rtc><rb>"), True),
    "li-in-dd": (lambda: fill("<dd><li>"), True),
    "dt-dd-li": (lambda: fill("<dt><dd><li>"), False),
    "p": (lambda: fill("<p>"), True),
    "li": (lambda: fill("<li>"), False),
    "optgroup": (lambda: fill("<optgroup>"), True),
    "optgroup-option": (lambda: fill("<optgroup><option>"), True),
    "tr-td": (lambda: fill("<tr><td>"), False),
    # Formatting elements and the adoption agency.
    "adoption-b-div": (lambda: fill("<b><div></b>"), True),
    "adoption-a-p-b": (lambda: fill("<a><p><b></a>"), True),
    "formatting-run": (lambda: fill("<b><i><u><s><em><strong><code><small><font>"), False),
    "nobr": (lambda: fill("<nobr>"), False),
    "a-in-a": (lambda: fill("<a href=x>"), False),
    # Tables and foster parenting.
    "table-div": (lambda: fill("<table><div>"), False),
    "table-b": (lambda: fill("<table><b>"), False),
    "table-td-table": (lambda: fill("<table><td><table>"), False),
    "caption": (lambda: fill("<table><caption>"), False),
    # <template>, <select>.
    "template": (lambda: fill("<template>"), False),
    "template-td": (lambda: fill("<template><td>"), False),
    "select-option": (lambda: fill("<select><option>"), False),
    "select-in-select": (lambda: fill("<select><select>"), False),
    # Foreign content.
    "svg": (lambda: fill("<svg>"), False),
    "svg-g": (lambda: fill("<g>", HEAD + "<svg>"), False),
    "svg-foreignobject": (lambda: fill("<svg><foreignObject>"), False),
    "math-mi": (lambda: fill("<math><mi>"), False),
    "math-annotation": (lambda: fill("<math><annotation-xml encoding=text/html>"), False),
    "svg-self-closing": (lambda: fill("<g/>", HEAD + "<svg>"), False),
    # Attribute floods and huge values.
    "attributes-100k": (lambda: HEAD + _attributes(100_000), True),
    "attributes-same-name": (lambda: fill(" class=x", HEAD + "<div", ">"), False),
    "attributes-on-many": (lambda: fill("<i a b c d e f g h i j k l m n o p></i>"), False),
    "huge-attribute-value": (lambda: fill("x", HEAD + "<div title='", "'>"), False),
    "huge-class-list": (
        lambda: fill("e-x ", "<!doctype html><body><div class='h-entry ", "'>" + LINK),
        False,
    ),
    "huge-href": (lambda: fill("x", HEAD + "<a href='https://a.example/", "'>"), False),
    # Entity floods.
    "entities": (lambda: fill("&amp;"), False),
    "entities-named": (lambda: fill("&notin;"), False),
    "entities-unterminated": (lambda: fill("&notit"), False),
    "entities-numeric": (lambda: fill("&#x1F600;"), False),
    "entities-in-attribute": (lambda: fill("&amp;", HEAD + "<div title='", "'>"), False),
    # Links and microformats.
    "links-100k": (lambda: fill("<a href=x>y</a>"[:10]), False),
    "links-resolving": (lambda: fill("<a href=/p>y</a>"), True),
    "entries": (lambda: fill("<div class=h-entry><a class=u-url href=/a>x</a></div>"), True),
    "cards-nested": (lambda: fill("<div class='h-card p-author'>"), False),
    # Comments, CDATA, raw text and stray markup.
    "comment-long": (lambda: fill("x", HEAD + "<!--", "-->"), False),
    "comments-many": (lambda: fill("<!--x-->"), False),
    "comment-unclosed": (lambda: fill("x", HEAD + "<!--"), False),
    "cdata-long": (lambda: fill("x", HEAD + "<svg><![CDATA[", "]]></svg>"), False),
    "cdata-many": (lambda: fill("<svg><![CDATA[x]]></svg>"), False),
    "script-long": (lambda: fill("x", HEAD + "<script>", "</script>"), False),
    "less-than-signs": (lambda: fill("<"), True),
    "unclosed-tags": (lambda: fill("<a "), False),
    "end-tags": (lambda: fill("</div>"), False),
    "text": (lambda: fill("word "), False),
}


def _run(func: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
    """(finished, result or exception) of `func` in a thread given `timeout` seconds: a
    generous bound that proves it does not hang, not a timing."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(func())
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            box.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return (not thread.is_alive(), box[0] if box else None)


@pytest.fixture(scope="module")
def corpus_pages() -> Any:
    server = PageServer().start()
    for name, (page, _) in CORPUS.items():
        body = page().encode()
        assert len(body) <= LIMIT, name
        server.add(f"/corpus/{name}", body)
    yield server
    server.stop()


def _settings(server: PageServer, budget: float = BUDGET) -> steps.PipelineSettings:
    policy = FetchPolicy(allow=frozenset({server.hostport}), timeout=10.0)
    # The budget's size scaling off: the corpus is about the mechanism, at a fixed budget.
    return steps.PipelineSettings(policy=policy, parse_cpu_limit=budget, parse_cpu_per_mib=0)


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_page_of_the_corpus_ends_within_the_cpu_budget(
    corpus_pages: PageServer, name: str
) -> None:
    settings = _settings(corpus_pages)
    source = corpus_pages.url(f"/corpus/{name}")
    finished, outcome = _run(lambda: steps.inspect(source, TARGET, settings), 60)
    assert finished, f"{name}: reading the page did not end"
    costly = CORPUS[name][1]
    if isinstance(outcome, HostilePage):
        assert OVER_BUDGET in outcome.reason or TOO_DEEP in outcome.reason, outcome.reason
        if OVER_BUDGET in outcome.reason:
            assert outcome.reason.startswith(
                f"the source page's markup took more than {BUDGET:g} s of CPU to parse "
                f"(text/html, {len(CORPUS[name][0]().encode())} bytes)"
            ), outcome.reason
    else:
        assert not costly, f"{name}: a page this costly must be refused, got {outcome!r}"
        assert isinstance(outcome, MentionData), f"{name}: {outcome!r}"


def test_a_page_read_in_a_child_reads_as_it_does_in_process() -> None:
    """The sandbox changes nothing for a normal page: the same post as extraction in this
    process, for every page of the extraction corpus that links to the target."""
    readers = sandbox.pool(2, 5.0)
    compared = 0
    for path in sorted((Path(__file__).resolve().parent.parent / "pages").glob("*.html")):
        body = path.read_bytes()
        if TARGET.encode() not in body:
            continue
        page = Page(f"https://a.example/{path.name}", 200, "text/html", body)
        here = _outcome(extract, page, TARGET)
        there = _outcome(readers.run, extract, page, TARGET, wall_limit=60, what="a test")
        assert here == there, path.name
        compared += 1
    assert compared >= 20


def _outcome(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except FetchError as exc:
        return (type(exc), exc.reason)


def test_a_child_that_dies_otherwise_rejects_only_its_own_page() -> None:
    """A crash in a C parser (here a SIGSEGV) ends that job with a reason; the pool goes on."""
    readers = sandbox.Pool(1, 5.0)
    try:
        with pytest.raises(HostilePage, match=r"stopped its parser \(signal 11; a test\)"):
            readers.run(_crash, wall_limit=30, what="a test")
        assert readers.run(_answer, 41, wall_limit=30, what="a test") == 42
    finally:
        readers.close()


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_child_ignores_the_shutdown_signals_and_finishes_its_page(name: str) -> None:
    """Ctrl-C on the worker and systemd's SIGTERM to the group reach the children too: on
    main the child died and its page was rejected as hostile ("exit code 1", "signal 15")
    while Celery's warm shutdown waited for it."""
    readers = sandbox.Pool(1, 5.0)
    try:
        assert readers.run(_signalled, name, wall_limit=30, what="a test") == name
    finally:
        readers.close()


def test_a_child_killed_otherwise_is_retried_not_rejected() -> None:
    """SIGKILL (the OOM killer, an operator) is not the page's fault: TransientFetchError."""
    readers = sandbox.Pool(1, 5.0)
    try:
        with pytest.raises(TransientFetchError, match=r"was stopped \(signal 9; a test\)"):
            readers.run(_signalled, "SIGKILL", wall_limit=30, what="a test")
        assert readers.run(_answer, 1, wall_limit=30, what="a test") == 2
    finally:
        readers.close()


def _signalled(name: str) -> str:
    import os
    import signal
    import time

    os.kill(os.getpid(), getattr(signal, name))
    time.sleep(0.2)  # a signal's default action (or Python's handler) acts by now
    return name


def test_a_page_over_the_default_budget_is_refused_saying_so(corpus_pages: PageServer) -> None:
    settings = _settings(corpus_pages, budget=1.0)
    finished, outcome = _run(
        lambda: steps.inspect(corpus_pages.url("/corpus/rb"), TARGET, settings), 60
    )
    assert finished
    assert isinstance(outcome, sandbox.OverBudget), outcome
    assert outcome.reason == (
        f"the source page's markup took more than 1 s of CPU to parse (text/html, "
        f"{len(CORPUS['rb'][0]().encode())} bytes); pages that costly to read are refused"
    )
    assert outcome.kind == "hostile"


def _crash() -> None:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


def _answer(value: int) -> int:
    return value + 1


@pytest.mark.integration
def test_a_real_worker_refuses_costly_markup_and_verifies_the_next_page(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.support.services import start_worker, wait_for

    budget = {"PINGSVC_PARSE_CPU_LIMIT": str(BUDGET), "PINGSVC_PARSE_CPU_PER_MIB": "0"}
    app: Flask = make_app({**settings, **budget}, monkeypatch)
    costly = {name: pages.add(f"/worker/{name}", CORPUS[name][0]())
              for name in ("rb", "li-in-dd", "attributes-100k", "adoption-b-div")}  # fmt: skip
    good = pages.add("/worker/good", f"<article class='h-entry'><p>Nice. {LINK}</p></article>")
    client = app.test_client()
    worker = start_worker(settings | budget, tmp_path / "w.log")
    try:
        locations = {}
        for name, source in [*costly.items(), ("good", good)]:
            answer = client.post("/webmention", data={"source": source, "target": TARGET})
            locations[name] = answer.headers["Location"].split("/webmention", 1)[1]

        def state(name: str) -> dict[str, Any]:
            return dict(client.get(f"/webmention{locations[name]}").get_json())

        assert wait_for(lambda: state("good")["status"] == "approved", 90), worker.output()
        assert wait_for(lambda: all(state(n)["status"] == "rejected" for n in costly), 90)
        for name in costly:
            assert OVER_BUDGET in state(name)["error"] or TOO_DEEP in state(name)["error"]
        assert worker.proc.poll() is None  # the worker itself never stopped
    finally:
        assert worker.stop() == 0


def _comment_heavy(size: int) -> str:
    """tests/pages/wp-classic-pingback.html with its comments repeated to about `size` bytes."""
    html = (
        Path(__file__).resolve().parent.parent / "pages" / "wp-classic-pingback.html"
    ).read_text()
    start = html.index('<li class="comment even thread-even depth-1"')
    end = html.index("</ol>", start)
    comments = html[start:end]
    return html[:start] + comments * max(1, (size - len(html)) // len(comments)) + html[end:]


def test_a_large_comment_heavy_page_verifies_at_the_default_budget(
    corpus_pages: PageServer,
) -> None:
    """On main a popular WordPress post near the byte limit (~5 s of CPU a MiB, mostly mf2py)
    was refused by the fixed 1 s budget; the budget now grows with the page's size."""
    body = _comment_heavy(LIMIT - 30_000)
    assert LIMIT - 60_000 < len(body.encode()) <= LIMIT
    source = corpus_pages.add("/legit/comment-heavy", body)
    policy = FetchPolicy(allow=frozenset({corpus_pages.hostport}), timeout=10.0)
    finished, outcome = _run(
        lambda: steps.inspect(source, TARGET, steps.PipelineSettings(policy=policy)), 120
    )
    assert finished
    assert isinstance(outcome, MentionData), outcome
