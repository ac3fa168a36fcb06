"""The saved corpus (tests/pages): every page fetched from a real local server, verified and
extracted by the pipeline's own inspect(), compared with the expectations kept beside it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import mf2util
import pytest

from pingsvc.errors import FetchError, SourceGone
from pingsvc.extract.entry import MentionData
from pingsvc.fetch.client import fetch
from pingsvc.fetch.page import decode_body
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import steps
from tests.conftest import TARGET
from tests.support import corpus as saved
from tests.support.pageserver import PAGES, PageServer

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
CODECS = {
    "iso-8859-1": "cp1252",  # browsers read the Latin-1 label as windows-1252
    "windows-1252": "cp1252",
    "shift_jis": "cp932",
    "utf-16": "utf-16",
    "utf-8": "utf-8",
}


def corpus() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for expected in sorted(PAGES.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        source = stem if stem.endswith((".json", ".txt")) else f"{stem}.html"
        cases.append((source, json.loads(expected.read_text(encoding="utf-8"))))
    return cases


CASES = corpus()


# deeply-nested.html is an Elementor-style page about 375 elements deep, which extraction
# handles; the corpus runs with PINGSVC_FETCH_MAX_DEPTH's default, which admits it.
CORPUS_MAX_DEPTH = 512


def policy(pages: PageServer) -> FetchPolicy:
    return FetchPolicy(allow=frozenset({pages.hostport}), max_depth=CORPUS_MAX_DEPTH)


@pytest.fixture(scope="module")
def settings(pages: PageServer) -> steps.PipelineSettings:
    return steps.PipelineSettings(policy=policy(pages))


def moment(value: str) -> date | datetime:
    parsed = mf2util.parse_datetime(" ".join(value.split()))
    assert parsed is not None
    return parsed  # type: ignore[no-any-return]


def test_the_corpus_has_at_least_thirty_pages_each_with_expectations() -> None:
    assert len(CASES) >= 30
    sources = {p.name for p in PAGES.iterdir() if p.suffix in {".html", ".json", ".txt"}}
    sources = {s for s in sources if not s.endswith(".expected.json")}
    assert sources == {source for source, _ in CASES}


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corpus_page_extracts_as_expected(
    source: str,
    expected: dict[str, Any],
    pages: PageServer,
    settings: steps.PipelineSettings,
) -> None:
    url = pages.url(source)
    if expected.get("gone"):
        with pytest.raises(SourceGone):
            steps.inspect(url, TARGET, settings)
        return
    if not expected["links"]:
        with pytest.raises(FetchError) as refused:
            steps.inspect(url, TARGET, settings)
        assert refused.value.kind == "no_link"
        return
    data = steps.inspect(url, TARGET, settings)
    check(data, expected, url)


def check(data: MentionData, expected: dict[str, Any], url: str) -> None:
    got = data.as_dict()
    for key in ("property", "post_type", "rsvp", "author_name", "name"):
        if key in expected:
            assert got[key] == expected[key], key
    if "author_url" in expected:
        want = expected["author_url"]
        assert data.author_url == (urljoin(url, want) if want else None)
    if "content_contains" in expected:
        assert expected["content_contains"] in " ".join((data.content_text or "").split())
    if expected.get("published", "") is None:
        assert data.published is None  # never the fetch time, nor an impossible date
    elif "published" in expected:
        assert data.published is not None
        assert ISO_WITH_OFFSET.match(data.published), data.published
        assert datetime.fromisoformat(data.published) == moment(expected["published"])
    for field in ("author_url", "author_photo", "url"):
        assert got[field] is None or got[field].startswith(("http://", "https://"))


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corpus_page_decodes_to_the_same_text_as_its_declared_encoding(
    source: str, expected: dict[str, Any], pages: PageServer
) -> None:
    raw = (PAGES / source).read_bytes()
    if expected.get("gone"):  # fetch refuses it; the server sends it without a charset
        text = decode_body(raw, None, html=True)
    else:
        text = fetch(pages.url(source), policy(pages)).text
    assert text == raw.decode(CODECS[expected.get("encoding", "utf-8")])


def test_html_pages_in_the_corpus_are_real_world_sized() -> None:
    sizes = [len(Path(PAGES / source).read_bytes()) for source, _ in CASES]
    assert all(2048 <= size <= 40960 for size in sizes)


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_page_is_exactly_its_text_in_its_declared_encoding(
    source: str, expected: dict[str, Any]
) -> None:
    """The committed pages are the corpus's one source: a page saved in another encoding than
    its expectations declare (an editor's UTF-8 over a Shift_JIS page) fails here."""
    encoding = expected.get("encoding", "utf-8")
    raw = (PAGES / source).read_bytes()
    assert saved.encode(saved.decode(raw, encoding), encoding) == raw
    if encoding != "utf-8":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_the_re_encoder_refuses_text_its_page_can_not_hold() -> None:
    with pytest.raises(UnicodeEncodeError):
        saved.encode("猫", "iso-8859-1")
    with pytest.raises(ValueError, match="0x80-0x9F"):
        saved.encode("a C1 control: \x93", "iso-8859-1")
    with pytest.raises(ValueError, match="0x80-0x9F"):
        saved.encode("no curly quotes", "windows-1252")
    assert saved.encode("hé", "utf-16") == b"\xff\xfe" + "hé".encode("utf-16-le")


def test_the_re_encoder_writes_an_edited_page_back_in_its_encoding(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("shift-jis.html", "shift-jis.expected.json"):
        (tmp_path / name).write_bytes((PAGES / name).read_bytes())
    monkeypatch.setattr(saved, "PAGES", tmp_path)
    assert saved.main(["edit", "shift-jis.html"]) == 0
    draft = tmp_path / "shift-jis.html.utf8"
    draft.write_bytes(draft.read_bytes().replace("日記".encode(), "日誌".encode()))
    assert saved.main(["save", "shift-jis.html"]) == 0
    assert not draft.exists()
    text = (tmp_path / "shift-jis.html").read_bytes().decode("shift_jis")
    assert text == (PAGES / "shift-jis.html").read_bytes().decode("shift_jis").replace(
        "日記", "日誌"
    )
