"""pipeline.sandbox's Pool: `subject=` names the page in every reason a job raises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pingsvc.errors import FetchError, HostilePage
from pingsvc.pipeline import sandbox


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
