"""URL checks and normal forms: what a valid source or target is, and how targets are matched."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from pingsvc.errors import InvalidSource, InvalidTarget, PingError

URL_MAX_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(
    r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*"
)
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


def _error_for(field: str) -> type[PingError]:
    return InvalidSource if field == "source" else InvalidTarget


def normalize_url(url: str, field: str = "url") -> str:
    """Check that `url` is an absolute http(s) URL and return it in normal form.

    Scheme and host are lower-cased, IDN hosts become punycode, default ports are dropped and
    an empty path becomes "/"; path, query and fragment are kept as sent.
    """
    error = _error_for(field)
    if url is None or not url.strip():
        raise error(f"The {field} parameter is missing.", code=f"missing_{field}")
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise error(f"The {field} URL is longer than {URL_MAX_LENGTH} characters.")
    if _CONTROL.search(url):
        raise error(f"The {field} URL contains spaces or control characters; percent-encode them.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise error(f"The {field} URL could not be parsed ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise error(f"The {field} must be an absolute http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise error(f"The {field} URL must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise error(f"The {field} URL has no host name.")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise error(f"The {field} URL's host name is not a valid domain name.") from exc
    if parts.netloc.rpartition("@")[2].startswith("["):
        host = _checked_ipv6(host, field, error)
    else:
        host = _checked_host(host, field, error)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def _checked_ipv6(host: str, field: str, error: type[PingError]) -> str:
    """A bracketed host must be an IPv6 address. urlsplit also takes RFC 3986's IPvFuture
    (`[v1.x]`) and hands back `v1.x`, which would then be looked up as a DNS name: refused."""
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError as exc:
        raise error(
            f"The {field} URL's host [{host}] is not an IPv6 address; only IPv6 addresses may "
            "be written in brackets (IPvFuture literals such as [v1.x] are not supported)."
        ) from exc
    return f"[{host}]"


def _checked_host(host: str, field: str, error: type[PingError]) -> str:
    """A host name as browsers read it: numeric IPv4 spellings (2130706433, 0177.0.0.1,
    0x7f000001, 127.1) become dotted quads, and anything that is neither an address nor a
    plain DNS name is refused, so no later parser can read the host differently."""
    try:
        address = parse_ipv4(host)
    except ValueError as exc:
        raise error(f"The {field} URL's host looks like an IPv4 address but is not one.") from exc
    if address is not None:
        return address
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        raise error(
            f"The {field} URL's host name may only contain letters, digits, hyphens and dots."
        )
    if any(len(label) > 63 for label in host.split(".")):
        raise error(f"A part of the {field} URL's host name is longer than 63 characters.")
    return host


def parse_ipv4(host: str) -> str | None:
    """The dotted-quad form of `host` when it is an IPv4 address in any spelling the WHATWG
    URL standard accepts, None when it is a name. Raises ValueError for a host that ends in a
    number but is not a valid address (browsers refuse those too)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _IPV4_PART.fullmatch(parts[-1]):
        return None
    if len(parts) > 4:
        raise ValueError("too many parts")
    numbers = []
    for part in parts:
        if not _IPV4_PART.fullmatch(part):
            raise ValueError(f"{part!r} is not a number")
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            numbers.append(int(part, 8))  # raises ValueError for 08, 09
        else:
            numbers.append(int(part))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("a part is out of range")
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def host_of(url: str) -> str:
    """The lower-case host of a normalised URL, without port."""
    return (urlsplit(url).hostname or "").lower()


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def target_key(url: str) -> str:
    """What the read API matches targets on: http and https, with or without a trailing slash
    or a fragment, are the same post (`blog.example/post/1`)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    key = f"{host}{path}"
    if parts.query:
        key += f"?{parts.query}"
    return key


def same_document(a: str, b: str) -> bool:
    """True when two normalised URLs name the same document, ignoring the fragment."""
    return without_fragment(a) == without_fragment(b)
