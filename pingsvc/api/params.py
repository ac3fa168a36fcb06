"""The read API's query parameters: webmention.io's names and values, checked once, so a bad
value gets a 400 that says what to fix and the rest of the API works on a clean Query."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers, MultiDict

from pingsvc.api.jf2 import WM_PROPERTIES
from pingsvc.errors import PingError
from pingsvc.urls import normalize_url, target_key

DEFAULT_PER_PAGE = 20
# Static-site plugins ask for 1,000 or 9,001 per page and take a short page as the end of the
# list, so anything up to this many is honoured exactly; more is refused, never cut silently.
MAX_PER_PAGE = 10_000
MAX_OFFSET = 1_000_000_000  # the highest page number (an empty page, but not an error)
MAX_TARGETS = 100
SORT_BY = ("created", "updated", "published", "rsvp")
SORT_DIR = ("down", "up")
Args = MultiDict[str, str]
HeaderMap = Headers | Mapping[str, str]
_JSONP = re.compile(r"^[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,7}$", re.ASCII)
# ISO 8601 as plugins send it: date only, or date and time with an optional fraction and
# offset; the offset's "+" may have arrived as a space (an unencoded "+" in a query string).
_SINCE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r" ?(?P<zone>[Zz]|[+\- ]\d{2}(?::?\d{2})?)?)?$",
    re.ASCII,
)


def bad(name: str, message: str) -> PingError:
    return PingError(f"{name}: {message}", code="invalid_parameter")


@dataclass(frozen=True)
class Since:
    """A `since` moment as naive UTC; `whole_second` when it was given to the second (as
    wm-received is), so "strictly after" means after that whole second."""

    moment: datetime
    whole_second: bool

    def lower_bound(self) -> tuple[datetime, bool]:
        """(bound, inclusive): received_at must be >= bound when inclusive, else > bound."""
        if self.whole_second and self.moment < datetime.max - timedelta(seconds=1):
            return self.moment + timedelta(seconds=1), True
        return self.moment, False


@dataclass(frozen=True)
class Query:
    """One read request, validated. `targets` are the normal forms of the URLs given."""

    targets: tuple[str, ...] = ()
    domain: str | None = None
    token: str | None = None
    token_in_query: bool = False
    per_page: int = DEFAULT_PER_PAGE
    page: int = 0
    since: Since | None = None
    since_id: int | None = None
    sort_by: str = "created"
    sort_dir: str = "down"
    properties: tuple[str, ...] = ()
    jsonp: str | None = None

    @property
    def target_keys(self) -> tuple[str, ...]:
        return tuple(sorted({target_key(t) for t in self.targets}))

    def canonical(self) -> dict[str, Any]:
        """Every parameter that shapes the answer, in one stable form (cache keys, next links).
        The token is left out: who is asking is part of the cache key separately."""
        return {
            "target": sorted(set(self.targets)),
            "domain": self.domain,
            "per-page": self.per_page,
            "page": self.page,
            "since": self.since.moment.isoformat() if self.since else None,
            "since-whole": self.since.whole_second if self.since else None,
            "since_id": self.since_id,
            "sort-by": self.sort_by,
            "sort-dir": self.sort_dir,
            "wm-property": list(self.properties),
        }


def _first(args: Args, *names: str) -> str | None:
    """The first non-empty value of `names`: for the token and domain, where an empty value
    (a template with nothing filled in) means the parameter is not there."""
    for name in names:
        value = args.get(name)
        if value is not None and value.strip() != "":
            return str(value).strip()
    return None


def _given(args: Args, *names: str) -> str | None:
    """The value of the first of `names` that is present. Present but empty is an error: a
    sort-dir= or per-page= with nothing after it is a mistake worth hearing about."""
    for name in names:
        value = args.get(name)
        if value is not None:
            if not value.strip():
                raise bad(name, "is empty; give a value or leave the parameter out.")
            return str(value).strip()
    return None


def _many(args: Args, name: str) -> list[str]:
    """Every value of `name` and `name[]` (webmention.io's way of repeating a parameter)."""
    values = [v.strip() for v in args.getlist(name) + args.getlist(f"{name}[]")]
    if "" in values:
        raise bad(name, "has an empty value; give a value or leave the parameter out.")
    return values


def parse_target(raw: str) -> str:
    """A target URL in normal form; a scheme-relative `//host/path` is taken as https (the
    scheme does not matter for matching)."""
    if raw.startswith("//"):
        raw = "https:" + raw
    return normalize_url(raw, "target")


def parse_targets(args: Args) -> tuple[str, ...]:
    raw = _many(args, "target")
    if len(raw) > MAX_TARGETS:
        raise bad("target", f"give at most {MAX_TARGETS} targets in one request.")
    return tuple(dict.fromkeys(parse_target(t) for t in raw))


def parse_domain(raw: str | None) -> str | None:
    """A site's host from `domain`: a bare host, or a URL whose host is taken."""
    if raw is None:
        return None
    url = raw if "://" in raw else f"https://{raw}"
    try:
        parts = urlsplit(normalize_url(url, "domain"))
    except PingError as exc:
        raise bad("domain", "give the site's host name, such as blog.example.") from exc
    return parts.netloc


def parse_int(args: Args, names: tuple[str, ...], default: int, low: int, high: int) -> int:
    """A whole number from the first of `names` given (every spelling given must be valid)."""
    values = []
    for name in names:
        raw = _given(args, name)
        if raw is None:
            continue
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", raw):
            raise bad(name, f"must be a whole number from {low} to {high}, not {raw[:40]!r}.")
        value = int(raw)
        if not low <= value <= high:
            raise bad(name, f"must be a whole number from {low} to {high}, not {value}.")
        values.append(value)
    return values[0] if values else default


def parse_since(raw: str | None) -> Since | None:
    """`since` as plugins send it, e.g. 2024-03-05T10:12:00Z, 2017-06-01T10:00:00-0700, or
    2024-03-05T10:12:00 01:00 (a "+" that arrived as a space). No offset means UTC."""
    if raw is None:
        return None
    match = _SINCE.fullmatch(raw.strip())
    if not match:
        raise bad(
            "since",
            "give an ISO 8601 date and time, such as 2024-03-05T10:12:00Z "
            f"(as in wm-received), not {raw[:40]!r}.",
        )
    parts = match.groupdict()
    fraction = parts["fraction"] or ""
    try:
        moment = datetime.fromisoformat(
            f"{parts['date']}T{parts['hour'] or '00'}:{parts['minute'] or '00'}"
            f":{parts['second'] or '00'}"
        )
        offset = _offset(parts["zone"])
    except ValueError as exc:
        raise bad("since", f"{raw[:40]!r} is not a valid date and time ({exc}).") from exc
    if fraction:
        moment += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    try:
        moment -= offset
    except OverflowError:  # beyond year 1 or 9999 in UTC: before or after every mention
        moment = datetime.min if offset > timedelta(0) else datetime.max
    return Since(moment, whole_second=not fraction.strip("0"))


def _offset(zone: str | None) -> timedelta:
    """A UTC offset as written after a time: Z, +01:00, -0700, +01, or " 01:00" (a "+")."""
    zone = (zone or "Z").strip()
    if zone.upper() == "Z":
        return timedelta(0)
    sign = -1 if zone.startswith("-") else 1
    digits = zone.lstrip("+-").replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("the offset is out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def parse_choice(args: Args, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = _given(args, name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in choices:
        raise bad(name, f"must be one of {', '.join(choices)}, not {raw[:40]!r}.")
    return value


def parse_properties(args: Args) -> tuple[str, ...]:
    values = _many(args, "wm-property")
    unknown = [v for v in values if v not in WM_PROPERTIES]
    if unknown:
        raise bad(
            "wm-property", f"must be among {', '.join(WM_PROPERTIES)}, not {unknown[0][:40]!r}."
        )
    return tuple(sorted(set(values)))


def parse_jsonp(args: Args) -> str | None:
    raw = _given(args, "jsonp", "callback")
    if raw is None:
        return None
    if not _JSONP.fullmatch(raw):
        raise bad("jsonp", "must be a JavaScript function name such as handleMentions.")
    return raw


def parse_token(args: Args, headers: HeaderMap) -> tuple[str | None, bool]:
    """The site token from token=, access_token= or an Authorization: Bearer header; and
    whether it came in the query string (then `next` links carry it on)."""
    token = _first(args, "token", "access_token")
    if token is not None:
        return token, True
    auth = headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return None, False


def _scope(args: Args, headers: HeaderMap) -> dict[str, Any]:
    targets = parse_targets(args)
    domain = parse_domain(_first(args, "domain"))
    token, token_in_query = parse_token(args, headers)
    if targets and domain:
        raise PingError(
            "Give either target (one post) or domain with token (the whole site), not both.",
            code="invalid_parameter",
        )
    if not targets and token is None:
        if domain:
            raise PingError(
                "domain: listing every mention of a site needs the site's token "
                "(token=...; create one with `pingsvc site token HOST`).",
                code="missing_token",
            )
        raise PingError(
            "Give the post URL as ?target=URL (repeat target[] for several), "
            "or ?domain=HOST&token=TOKEN for every mention of your site.",
            code="missing_target",
        )
    return {"targets": targets, "domain": domain, "token": token, "token_in_query": token_in_query}


def parse_mentions(args: Args, headers: HeaderMap) -> Query:
    """The parameters of /api/mentions.*: scope, paging, since, sorting, filters, jsonp."""
    per_page = parse_int(args, ("per-page", "perPage"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = parse_int(args, ("page",), 0, 0, MAX_OFFSET)
    return Query(
        **_scope(args, headers),
        per_page=per_page,
        page=page,
        since=parse_since(_given(args, "since")),
        since_id=parse_int(args, ("since_id", "since-id"), 0, 0, 2**62) or None,
        sort_by=parse_choice(args, "sort-by", SORT_BY, "created"),
        sort_dir=parse_choice(args, "sort-dir", SORT_DIR, "down"),
        properties=parse_properties(args),
        jsonp=parse_jsonp(args),
    )


def parse_count(args: Args, headers: HeaderMap) -> Query:
    """The parameters of /api/count(.json): targets (or domain with token) and jsonp."""
    return Query(**_scope(args, headers), jsonp=parse_jsonp(args))
