"""The read API's parameters, as consumers really send them, and the 400s for the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from pingsvc.api.params import MAX_PER_PAGE, parse_count, parse_mentions, parse_since
from pingsvc.errors import PingError

POST = "https://blog.example/post/1"


def parse(*pairs: tuple[str, str], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return parse_mentions(MultiDict(list(pairs)), headers or {})


@pytest.mark.parametrize(
    ("raw", "utc", "whole"),
    [
        ("2024-03-05T10:12:00Z", datetime(2024, 3, 5, 10, 12), True),
        ("2024-03-05t10:12:00z", datetime(2024, 3, 5, 10, 12), True),
        ("2024-03-05T10:12:00+01:00", datetime(2024, 3, 5, 9, 12), True),
        ("2024-03-05T10:12:00 01:00", datetime(2024, 3, 5, 9, 12), True),  # "+" became " "
        ("2017-06-01T10:00:00-0700", datetime(2017, 6, 1, 17, 0), True),
        ("2017-06-01T10:00:00 0700", datetime(2017, 6, 1, 3, 0), True),
        ("2024-03-05T10:12:00+01", datetime(2024, 3, 5, 9, 12), True),
        ("2024-03-05T10:12:00.250Z", datetime(2024, 3, 5, 10, 12, 0, 250000), False),
        ("2024-03-05T10:12:00.000Z", datetime(2024, 3, 5, 10, 12), True),
        ("2024-03-05 10:12", datetime(2024, 3, 5, 10, 12), True),
        ("2024-03-05T10:12:00", datetime(2024, 3, 5, 10, 12), True),
        ("2024-03-05", datetime(2024, 3, 5), True),
    ],
)
def test_since_accepts_the_forms_plugins_send(raw: str, utc: datetime, whole: bool) -> None:
    since = parse_since(raw)
    assert since is not None and since.moment == utc and since.whole_second is whole


def test_since_to_the_second_means_after_that_whole_second() -> None:
    """wm-received has no fraction, so a mention received at 10:12:00.5 shows as 10:12:00Z:
    pasting that back must not return it again."""
    since = parse_since("2024-03-05T10:12:00Z")
    assert since is not None
    assert since.lower_bound() == (datetime(2024, 3, 5, 10, 12, 1), True)
    precise = parse_since("2024-03-05T10:12:00.5Z")
    assert precise is not None
    assert precise.lower_bound() == (datetime(2024, 3, 5, 10, 12, 0, 500000), False)


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2024-3-5",
        "2024-03-05T25:00:00Z",
        "2024-02-30",
        "2024-03-05T10:12+24:00",
        "1709629920",
    ],
)
def test_since_refuses_what_is_not_a_date(raw: str) -> None:
    with pytest.raises(PingError, match="since"):
        parse_since(raw)


def test_since_beyond_the_calendar_clamps_instead_of_failing() -> None:
    low = parse_since("0001-01-01T00:00:00+05:00")
    high = parse_since("9999-12-31T23:59:59-05:00")
    assert low is not None and low.moment == datetime.min
    assert high is not None and high.moment == datetime.max
    assert high.lower_bound() == (datetime.max, False)


def test_defaults_are_webmention_ios() -> None:
    query = parse(("target", POST))
    assert (query.per_page, query.page, query.sort_by, query.sort_dir) == (20, 0, "created", "down")
    assert query.since is None and query.since_id is None and query.properties == ()


def test_targets_from_target_and_target_brackets_are_one_union() -> None:
    query = parse(
        ("target[]", "http://blog.example/post/1"),
        ("target[]", "https://blog.example/post/1/"),
        ("target", "//blog.example/post/2"),
    )
    assert query.target_keys == ("blog.example/post/1", "blog.example/post/2")


def test_per_page_keeps_large_values_and_the_camel_case_spelling() -> None:
    assert parse(("target", POST), ("per-page", "9001")).per_page == 9001
    assert parse(("target", POST), ("perPage", "9999")).per_page == 9999
    assert parse(("target", POST), ("per-page", str(MAX_PER_PAGE))).per_page == MAX_PER_PAGE


def test_token_comes_from_query_or_bearer_header() -> None:
    assert parse(("domain", "blog.example"), ("access_token", "abc")).token == "abc"
    from_header = parse(("domain", "blog.example"), headers={"Authorization": "Bearer xyz"})
    assert (from_header.token, from_header.token_in_query) == ("xyz", False)
    assert parse(("token", "t"), ("domain", "HTTPS://Blog.Example/")).domain == "blog.example"


@pytest.mark.parametrize(
    "callback", ["cb", "window.Jekyll.process", "jQuery1234_5678", "$", "a.b_c$"]
)
def test_jsonp_accepts_function_names(callback: str) -> None:
    assert parse(("target", POST), ("jsonp", callback)).jsonp == callback


@pytest.mark.parametrize(
    "callback", ["alert(1)", "a;b", "a b", "1abc", "a..b", "a.", "x" * 65, "é"]
)
def test_jsonp_refuses_anything_else(callback: str) -> None:
    with pytest.raises(PingError, match="jsonp"):
        parse(("target", POST), ("jsonp", callback))


def test_count_takes_only_scope_and_jsonp() -> None:
    query = parse_count(MultiDict([("target", POST), ("per-page", "nonsense")]), {})
    assert query.targets == (POST,) and query.per_page == 20


def test_too_many_targets_are_refused() -> None:
    pairs = [("target[]", f"https://blog.example/{i}") for i in range(101)]
    with pytest.raises(PingError, match="at most 100"):
        parse(*pairs)


def test_since_id_zero_means_no_filter() -> None:
    assert parse(("target", POST), ("since_id", "0")).since_id is None
    assert parse(("target", POST), ("since_id", "41")).since_id == 41


def test_canonical_form_ignores_spelling_and_order() -> None:
    a = parse(
        ("target[]", POST),
        ("target[]", "http://blog.example/x"),
        ("since", "2024-03-05T11:00:00+01:00"),
    )
    b = parse(
        ("target", "http://blog.example/x"), ("target", POST), ("since", "2024-03-05T10:00:00Z")
    )
    assert a.canonical() == b.canonical()
    assert (
        parse(("target", POST), ("since", "2024-03-05T10:00:00.5Z")).canonical()["since-whole"]
        is False
    )
    assert b.since is not None and b.since.moment + timedelta(0) == datetime(2024, 3, 5, 10)
