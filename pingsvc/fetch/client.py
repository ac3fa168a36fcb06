"""The only outbound HTTP in pingsvc: a GET that refuses private addresses and hostile pages,
and the sender's POST to an endpoint, through the same address guard.

Written here rather than taken from requests-hardened or advocate (see SECURITY.md for the
comparison): this module pins the resolved address the way requests-hardened does, but
neither library can allow one host:port while refusing the rest of loopback, has a port
policy, or enforces size and total-time budgets across redirects; advocate also needs
urllib3 < 2, which lacks the fixes for decompression bombs in streamed reads.

It speaks to urllib3's connection pools directly: requests' sessions, which it was built on
until December 2026, added their preparing, merging and cookie handling to every request
(bench/README.md has the figures), and redirects, budgets and the address check are this
module's own anyway.
"""

from __future__ import annotations

import functools
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urljoin, urlsplit

import certifi
import urllib3.exceptions
from urllib3 import BaseHTTPResponse, HTTPHeaderDict, PoolManager, Timeout
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    DecodeError,
    HTTPError,
    LocationParseError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import parse_url
from urllib3.util.ssl_ import create_urllib3_context

from pingsvc.errors import (
    FetchError,
    HostilePage,
    RefusedAddress,
    SourceGone,
    TransientFetchError,
)
from pingsvc.fetch.addresses import resolve
from pingsvc.fetch.deadline import Deadline, WatchedHTTPSPool, WatchedPool
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page, parse_content_type
from pingsvc.fetch.policy import FetchPolicy

CHUNK = 16 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
# A POST is sent again only where the redirect says to keep the method and body; 301-303
# would turn it into a GET, which notifies nobody.
_POST_REDIRECTS = {307, 308}
ANSWER_MAX_BYTES = 64 * 1024  # of an endpoint's answer: its status is what counts
# What a request the time limit cut off fails with (_cut_off): answered too slowly, or not.
TOO_SLOW = "the source took longer than the time limit to send its page"
NOT_ANSWERED = "the source did not answer in time"
_GONE_META = re.compile(
    rb"""<meta[^>]+http-equiv\s*=\s*["']?status["']?[^>]+content\s*=\s*["']?\s*410""", re.I
)


class Session:
    """Keep-alive connections for the fetches of one policy, each made to the address `resolve`
    checked, so DNS can't change between check and connect: urllib3's PoolManager keeps a
    pool per scheme, address, port and name (the name is the `Host` header, the TLS SNI and
    the name the certificate must match), on sockets the deadline can shut. No cookies are
    kept from one request to the next, and no proxy from the environment is used."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.headers = HTTPHeaderDict(
            {
                "User-Agent": policy.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,"
                "text/plain;q=0.8,*/*;q=0.1",
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._pools = PoolManager(
            num_pools=10, maxsize=4, retries=False, ssl_context=_tls_context()
        )
        self._pools.pool_classes_by_scheme = {"http": WatchedPool, "https": WatchedHTTPSPool}

    def request(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        *,
        body: Mapping[str, str] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> BaseHTTPResponse:
        """Send one request (redirects are the caller's) within what is left of `deadline`;
        the answer's body is left unread. Raises a FetchError subclass when no answer came."""
        remaining = deadline.remaining()
        if deadline.over:
            raise HostilePage("the source took longer than the time limit to answer")
        deadline.answered = False  # this request's status line: not yet
        try:
            pool, target, sent = self._prepare(url, headers)
            if isinstance(body, Mapping):
                if "Content-Type" not in sent:
                    sent["Content-Type"] = "application/x-www-form-urlencoded"
                body = urlencode(list(body.items()), doseq=True).encode()
            return pool.urlopen(
                method, target, body=body, headers=sent, retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=True,
                timeout=Timeout(connect=min(remaining, 5.0), read=remaining),
            )  # fmt: skip
        except FetchError:
            raise
        except LocationValueError as exc:  # LocationParseError too
            raise FetchError(f"the source URL is not valid ({exc})") from exc
        except SSLError as exc:
            raise FetchError("the source's TLS certificate could not be verified") from exc
        except NewConnectionError as exc:  # before TimeoutError, which it extends
            if deadline.over:
                raise TransientFetchError(NOT_ANSWERED) from exc
            raise TransientFetchError("could not connect to the source") from exc
        except urllib3.exceptions.TimeoutError as exc:  # the socket's, at the limit too
            raise _cut_off(deadline) from exc
        except ProtocolError as exc:  # reset, or closed before the headers were all in
            if deadline.over:
                raise _cut_off(deadline) from exc
            raise TransientFetchError("could not connect to the source") from exc
        except HTTPError as exc:
            if deadline.over:
                raise _cut_off(deadline) from exc
            raise TransientFetchError(f"fetching the source failed ({type(exc).__name__})") from exc
        except ValueError as exc:  # http.client refuses a target it can't send
            raise FetchError(f"the source redirected to an invalid URL ({exc})") from exc

    def _prepare(
        self, url: str, headers: Mapping[str, str] | None
    ) -> tuple[HTTPConnectionPool, str, HTTPHeaderDict]:
        """The pool for `url`'s checked address, the request target, and the headers."""
        parts = parse_url(url)
        scheme = (parts.scheme or "").lower()
        if scheme not in ("http", "https") or not parts.host:
            raise FetchError(f"the source URL is not valid ({url[:200]!r})")
        name = parts.host.strip("[]")
        port = parts.port or (443 if scheme == "https" else 80)
        address = resolve(name, port, self.policy).strip("[]")
        tls = {"assert_hostname": name, "server_hostname": name} if scheme == "https" else None
        pool = self._pools.connection_from_host(address, port, scheme, pool_kwargs=tls)
        sent = self.headers.copy()
        if headers:
            for key, value in headers.items():
                sent[key] = value  # replaces the session's header of any case
        sent["Host"] = parts.host if parts.port is None else f"{parts.host}:{parts.port}"
        return pool, parts.request_uri, sent

    def close(self) -> None:
        self._pools.clear()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One context for every pool: certifi's roots (as requests trusted), loaded once."""
    context = create_urllib3_context()
    context.load_verify_locations(certifi.where())
    return context


def make_session(policy: FetchPolicy) -> Session:
    """A session whose every connection goes through the address check."""
    return Session(policy)


def fetch(
    url: str,
    policy: FetchPolicy,
    session: Session | None = None,
    *,
    check: bool = True,
    headers: dict[str, str] | None = None,
    denied_ok: bool = False,
) -> Page:
    """GET `url` within the policy's limits; raise a FetchError subclass saying what went wrong.
    With check=False the body's checks (`check_page`) are left to the caller, which runs them
    where its parsing runs (the pipeline: in a sandbox child, within the CPU budget).
    `headers` are added to every request of the fetch (a feed's If-None-Match and
    If-Modified-Since); when they make it conditional, a 304 answer is returned as a Page
    with status_code 304 and no body instead of an error. An Authorization header (a Private
    Webmention's bearer token) goes only to the URL's origin: a redirect elsewhere drops it.
    With `denied_ok`, a 401 or 403 answer is returned as a Page (a private source that
    advertises its token endpoint to readers without a token) instead of an error."""
    own_session = session is None
    session = session or make_session(policy)
    try:
        with Deadline(policy.timeout) as deadline:
            return _follow(url, session, policy, deadline, check, headers or {}, denied_ok)
    finally:
        if own_session:
            session.close()


_CONDITIONAL = {"if-none-match", "if-modified-since"}


def _follow(
    url: str,
    session: Session,
    policy: FetchPolicy,
    deadline: Deadline,
    check: bool,
    headers: dict[str, str],
    denied_ok: bool = False,
) -> Page:
    current = url
    for _hop in range(policy.max_redirects + 1):
        _check_scheme(current)
        response = session.request("GET", current, deadline, headers=headers)
        try:
            if deadline.over:  # the shut socket read as the end of the headers
                raise _cut_off(deadline)
            if response.status in _REDIRECTS and response.headers.get("Location"):
                following = _redirected(current, response.headers["Location"])
                if _origin(following) != _origin(current):  # a token is for its origin only
                    headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                current = following
                continue
            if response.status == 304 and _CONDITIONAL & {h.lower() for h in headers}:
                return Page(current, 304, "", b"", headers=dict(response.headers))
            if denied_ok and response.status in (401, 403):
                body = _read_body(response, policy, deadline)
                media_type, charset = parse_content_type(response.headers.get("Content-Type", ""))
                return Page(
                    current, response.status, media_type, body,
                    charset=charset, headers=dict(response.headers),
                )  # fmt: skip
            return _read_page(current, response, policy, deadline, check)
        finally:
            _close(response)
    raise HostilePage(f"the source redirected more than {policy.max_redirects} times")


def _origin(url: str) -> tuple[str, str, int | None]:
    """The origin a request to `url` connects to, read by the parser that picks the
    connection (urllib3's): urlsplit reads `http://a\\@b/` as host b, the connection goes to a."""
    try:
        parts = parse_url(url)
    except LocationParseError:
        return ("", "", None)
    scheme = (parts.scheme or "").lower()
    host = (parts.host or "").strip("[]").lower()
    return scheme, host, parts.port or {"http": 80, "https": 443}.get(scheme)


def _check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise RefusedAddress("the source redirected to a URL that is not http or https")


def _read_page(
    url: str, response: BaseHTTPResponse, policy: FetchPolicy, deadline: Deadline, check: bool
) -> Page:
    status = response.status
    if status == 410:
        raise SourceGone("the source returned 410 Gone", status_code=410)
    if status == 429 or status >= 500:
        raise TransientFetchError(
            f"the source returned {status}",
            status_code=status,
            retry_after=retry_after(response.headers.get("Retry-After")),
        )
    if status >= 400:
        raise FetchError(f"the source returned {status}", status_code=status, kind="not_found")
    if status >= 300:
        raise FetchError(f"the source returned {status} without a usable redirect")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise HostilePage(f"the source is larger than the {policy.max_bytes} byte limit")
    body = _read_body(response, policy, deadline)
    media_type, charset = parse_content_type(response.headers.get("Content-Type", ""))
    page = Page(
        url=url,
        status_code=status,
        media_type=media_type,
        body=body,
        charset=charset,
        headers=dict(response.headers),
    )
    if page.is_html and _GONE_META.search(page.body[:4096]):
        raise SourceGone("the source page says 410 Gone", status_code=410)
    if check:
        check_page(page, policy.max_depth)
    return page


def _cut_off(deadline: Deadline) -> FetchError:
    """What a request the time limit cut off failed with: a source that answered, then sent
    its headers too slowly, sent too slowly, as when it is cut off in its body; one that
    never answered is tried again later. The cut is the watchdog's (the socket then reads as
    the end of the headers, or as a reset when a byte of theirs was in flight) or the
    socket's own timeout, whichever comes first: the status line decides, not how the
    connection ended."""
    if deadline.answered:
        return HostilePage(TOO_SLOW)
    return TransientFetchError(NOT_ANSWERED)


def _late_answer() -> TransientFetchError:
    """A POST's answer the time limit cut off, its status line come or not: an endpoint slow
    to answer is tried again (a source slow to send its page is not: _cut_off)."""
    return TransientFetchError(NOT_ANSWERED)


def _read_body(response: BaseHTTPResponse, policy: FetchPolicy, deadline: Deadline) -> bytes:
    """The decompressed body, streamed: never more than max_bytes (plus one chunk) in memory."""
    body = bytearray()
    try:
        for chunk in response.stream(CHUNK, decode_content=True):
            body += chunk
            if len(body) > policy.max_bytes:
                raise HostilePage(f"the source is larger than the {policy.max_bytes} byte limit")
            if deadline.over:
                raise HostilePage(TOO_SLOW)
    except FetchError:
        raise
    except (TimeoutError, ReadTimeoutError) as exc:
        raise HostilePage(TOO_SLOW) from exc
    except DecodeError as exc:
        if deadline.over:
            raise HostilePage(TOO_SLOW) from exc
        raise FetchError("the source's compressed body could not be decoded") from exc
    except (ProtocolError, OSError) as exc:
        if deadline.over:
            raise HostilePage(TOO_SLOW) from exc
        raise TransientFetchError("the source closed the connection mid-page") from exc
    if deadline.over:  # the watchdog cut the stream; what arrived is not the whole page
        raise HostilePage(TOO_SLOW)
    return bytes(body)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP-date), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT; a zone-less one is read so too
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class Answer:
    """What an endpoint answered a POST: the URL that answered, its status and headers, and
    the start of its body (at most the size limit; `truncated` says whether more came, `late`
    whether the time limit cut it)."""

    url: str
    status_code: int
    headers: dict[str, str]
    body: bytes
    truncated: bool = False
    late: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def post(
    url: str,
    data: Mapping[str, str] | bytes,
    policy: FetchPolicy,
    session: Session | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = ANSWER_MAX_BYTES,
) -> Answer:
    """POST `data` (a form, or raw bytes with their Content-Type in `headers`) to `url`
    through the same address guard and time limit as `fetch`; 307 and 308 redirects are
    followed with the same body, other answers (3xx too) are returned. Raises a FetchError
    subclass, told of "the endpoint", when no answer came."""
    own_session = session is None
    session = session or make_session(policy)
    try:
        with Deadline(policy.timeout) as deadline:
            current = url
            for _hop in range(policy.max_redirects + 1):
                _check_scheme(current)
                try:
                    response = session.request(
                        "POST", current, deadline, body=data, headers=headers
                    )
                except HostilePage as exc:  # cut off while answering: _late_answer
                    raise _late_answer() from exc
                try:
                    if deadline.over:  # the shut socket read as the end of the headers
                        raise _late_answer()
                    location = response.headers.get("Location")
                    if response.status in _POST_REDIRECTS and location:
                        current = _redirected(current, location)
                        continue
                    body, truncated, late = _read_answer(response, max_bytes, deadline)
                    return Answer(
                        current, response.status, dict(response.headers), body, truncated, late
                    )
                finally:
                    _close(response)
            raise HostilePage(f"the source redirected more than {policy.max_redirects} times")
    except FetchError as exc:
        raise exc.about("the endpoint") from exc
    finally:
        if own_session:
            session.close()


def _close(response: BaseHTTPResponse) -> None:
    """Done with an answer: its connection goes back to the pool, kept alive when the body
    was read to its end, closed (and opened again when next needed) otherwise."""
    response.close()
    response.release_conn()


def _redirected(url: str, location: str) -> str:
    try:
        joined = urljoin(url, location.strip())
        urlsplit(joined)  # "http://[oops" is refused here, not when it is sent
        return joined
    except ValueError as exc:
        raise FetchError(f"the source redirected to an invalid URL ({location[:200]!r})") from exc


def _read_answer(
    response: BaseHTTPResponse, max_bytes: int, deadline: Deadline
) -> tuple[bytes, bool, bool]:
    """The first `max_bytes` of an answer's body, whether more came, and whether the time
    limit cut it; what can't be read in time is left out, as the status has already said
    what happened."""
    body = bytearray()
    try:
        for chunk in response.stream(CHUNK, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                return bytes(body[:max_bytes]), True, False
            if deadline.over:
                return bytes(body), True, True
    except (HTTPError, OSError):
        return bytes(body), True, deadline.over
    late = deadline.over
    return bytes(body), late, late
