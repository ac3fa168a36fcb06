"""The only outbound HTTP in pingsvc: a GET that refuses private addresses and hostile pages.

Written here rather than taken from requests-hardened or advocate: both pin the resolved
address the same way (this module follows requests-hardened's approach), but neither supports
an allow-list by host:port, a port policy, or streamed size/time budgets across redirects.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from pingsvc.errors import (
    FetchError,
    HostilePage,
    RefusedAddress,
    SourceGone,
    TransientFetchError,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CHUNK = 16 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_GONE_META = re.compile(
    rb"""<meta[^>]+http-equiv\s*=\s*["']?status["']?[^>]+content\s*=\s*["']?\s*410""", re.I
)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch; built from the PINGSVC_FETCH_* settings."""

    timeout: float = 10.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 10
    ports: frozenset[int] = frozenset({80, 443})
    allow: frozenset[str] = frozenset()  # "host:port" that may be fetched although private
    user_agent: str = "pingsvc"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FetchPolicy:
        return cls(
            timeout=float(config["FETCH_TIMEOUT"]),
            max_bytes=int(config["FETCH_MAX_BYTES"]),
            max_redirects=int(config["FETCH_MAX_REDIRECTS"]),
            ports=frozenset(int(p) for p in config["FETCH_PORTS"]),
            allow=frozenset(a.lower() for a in config["FETCH_ALLOW"]),
            user_agent=str(config["USER_AGENT"]),
        )

    def allows(self, host: str, port: int) -> bool:
        return f"{host.lower().strip('[]')}:{port}" in self.allow or (
            ":" in host and f"[{host.strip('[]')}]:{port}" in self.allow
        )


@dataclass
class Page:
    """A fetched document: the final URL after redirects, its media type and decoded text."""

    url: str
    status_code: int
    media_type: str
    body: bytes
    charset: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = decode_body(self.body, self.charset, html=self.is_html)
        return self._text

    @property
    def is_html(self) -> bool:
        return self.media_type in {"text/html", "application/xhtml+xml"}


def address_refusal(ip: IPAddress) -> str | None:
    """Why pingsvc must not connect to `ip`, or None for a public unicast address. Pure."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_refusal(embedded)
        if ip in _NAT64:
            return address_refusal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.is_unspecified:
        return "an unspecified address (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (such as cloud metadata services)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved or non-public address"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def resolve(host: str, port: int, policy: FetchPolicy) -> str:
    """Resolve `host` once and return the address to connect to, refusing forbidden ones.

    Every address the name resolves to must be allowed: a name that mixes public and private
    addresses is refused, so no later resolution can pick the private one.
    """
    bare = host.strip("[]")
    if port not in policy.ports and not policy.allows(bare, port):
        raise RefusedAddress(
            f"the source uses port {port}; only ports "
            f"{', '.join(str(p) for p in sorted(policy.ports))} may be fetched"
        )
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(
            f"the source host name {bare!r} could not be resolved", kind="not_found"
        ) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"the source host name {bare!r} has no address")
    if not policy.allows(bare, port):
        for ip in addresses:
            reason = address_refusal(ip)
            if reason is not None:
                raise RefusedAddress(f"the source host {bare!r} resolves to {reason} ({ip})")
    chosen = addresses[0]
    return f"[{chosen}]" if chosen.version == 6 else str(chosen)


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to the address `resolve` checked, so DNS can't change between check and connect."""

    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__(max_retries=0, pool_maxsize=4)
        self.policy = policy

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        hostname = host_params["host"]
        port = host_params["port"] or (443 if host_params["scheme"] == "https" else 80)
        request.headers = CaseInsensitiveDict(request.headers or {})
        host_header = f"[{hostname}]" if ":" in hostname else hostname
        if host_params["port"]:
            host_header += f":{host_params['port']}"
        request.headers["Host"] = host_header
        if host_params["scheme"] == "https":
            pool_kwargs["assert_hostname"] = hostname  # type: ignore[typeddict-unknown-key]
            pool_kwargs["server_hostname"] = hostname  # type: ignore[typeddict-unknown-key]
        host_params["host"] = resolve(hostname, port, self.policy).strip("[]")
        return host_params, pool_kwargs  # type: ignore[return-value]

    def get_connection(self, url: Any, proxies: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError("use get_connection_with_tls_context")


def make_session(policy: FetchPolicy) -> requests.Session:
    """A requests session whose every connection goes through the address check."""
    session = requests.Session()
    session.trust_env = False  # never route source fetches through an environment proxy
    adapter = PinnedAddressAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {
            "User-Agent": policy.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,"
            "text/plain;q=0.8,*/*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
        }
    )
    return session


def fetch(url: str, policy: FetchPolicy, session: requests.Session | None = None) -> Page:
    """GET `url` within the policy's limits; raise a FetchError subclass saying what went wrong."""
    own_session = session is None
    session = session or make_session(policy)
    deadline = time.monotonic() + policy.timeout
    try:
        current = url
        for _hop in range(policy.max_redirects + 1):
            _check_scheme(current)
            response = _get(session, current, deadline)
            try:
                if response.status_code in _REDIRECTS and response.headers.get("Location"):
                    current = urljoin(current, response.headers["Location"])
                    continue
                return _read_page(current, response, policy, deadline)
            finally:
                response.close()
        raise HostilePage(f"the source redirected more than {policy.max_redirects} times")
    finally:
        if own_session:
            session.close()


def _check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise RefusedAddress("the source redirected to a URL that is not http or https")


def _get(session: requests.Session, url: str, deadline: float) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise HostilePage("the source took longer than the time limit to answer")
    try:
        return session.get(
            url, stream=True, allow_redirects=False, timeout=(min(remaining, 5.0), remaining)
        )
    except RefusedAddress:
        raise
    except requests.exceptions.InvalidURL as exc:
        raise FetchError(f"the source URL is not valid ({exc})") from exc
    except requests.exceptions.SSLError as exc:
        raise FetchError("the source's TLS certificate could not be verified") from exc
    except requests.exceptions.Timeout as exc:
        raise TransientFetchError("the source did not answer in time") from exc
    except requests.exceptions.ConnectionError as exc:
        if isinstance(exc.__context__, FetchError):
            raise exc.__context__ from None
        raise TransientFetchError("could not connect to the source") from exc
    except FetchError:
        raise
    except requests.exceptions.RequestException as exc:
        raise TransientFetchError(f"fetching the source failed ({type(exc).__name__})") from exc


def _read_page(url: str, response: requests.Response, policy: FetchPolicy, deadline: float) -> Page:
    status = response.status_code
    if status == 410:
        raise SourceGone("the source returned 410 Gone", status_code=410)
    if status == 429 or status >= 500:
        raise TransientFetchError(f"the source returned {status}", status_code=status)
    if status >= 400:
        raise FetchError(f"the source returned {status}", status_code=status, kind="not_found")
    if status >= 300:
        raise FetchError(f"the source returned {status} without a usable redirect")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise HostilePage(f"the source is larger than the {policy.max_bytes} byte limit")
    body = bytearray()
    try:
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            body += chunk
            if len(body) > policy.max_bytes:
                raise HostilePage(f"the source is larger than the {policy.max_bytes} byte limit")
            if time.monotonic() > deadline:
                raise HostilePage("the source took longer than the time limit to send its page")
    except (TimeoutError, ReadTimeoutError, requests.exceptions.Timeout) as exc:
        raise HostilePage("the source took longer than the time limit to send its page") from exc
    except DecodeError as exc:
        raise FetchError("the source's compressed body could not be decoded") from exc
    except ProtocolError as exc:
        raise TransientFetchError("the source closed the connection mid-page") from exc
    media_type, charset = parse_content_type(response.headers.get("Content-Type", ""))
    page = Page(
        url=url,
        status_code=status,
        media_type=media_type,
        body=bytes(body),
        charset=charset,
        headers=dict(response.headers),
    )
    if page.is_html and _GONE_META.search(page.body[:4096]):
        raise SourceGone("the source page says 410 Gone", status_code=410)
    return page


def parse_content_type(value: str) -> tuple[str, str | None]:
    """("text/html", "utf-8") from a Content-Type header; missing type is text/html."""
    parts = [p.strip() for p in value.split(";")]
    media_type = parts[0].lower() or "text/html"
    charset = None
    for param in parts[1:]:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media_type, charset


# What browsers decode these labels as (WHATWG Encoding): each is a superset of its label.
_BROWSER_CODECS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
}
# Labels browsers know and Python's codec registry doesn't.
_LABELS = {
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "utf16le": "utf-16-le",
    "utf16be": "utf-16-be",
}
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")


def _known(codec: str | None) -> str | None:
    if not codec:
        return None
    try:
        label = codec.strip().lower()
        name = codecs.lookup(_LABELS.get(label, label)).name
    except LookupError:
        return None
    return _BROWSER_CODECS.get(name, name)


def _declared(body: bytes) -> str | None:
    """The charset the document declares in its first bytes: <meta charset>, <meta
    http-equiv=Content-Type content="...; charset=">, or an XML declaration."""
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    codec = _known(match.group(1).decode("ascii", "ignore")) if match else None
    # An ASCII-readable declaration of UTF-16 is a lie: a UTF-16 page would not be readable
    # here. Browsers take it as UTF-8, and so does this.
    return "utf-8" if codec and codec.startswith("utf-16") else codec


def decode_body(body: bytes, charset: str | None, *, html: bool = True) -> str:
    """Decode as a browser would: BOM, then the HTTP charset, then the document's own
    declaration, then UTF-8, then windows-1252. Undecodable bytes become U+FFFD."""
    for bom, bom_codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(bom_codec, errors="replace")
    codec = _known(charset)
    if codec == "utf-16":
        codec = "utf-16-le"  # the WHATWG meaning of the bare label, without a BOM
    if codec is None and html:
        codec = _declared(body)
    if codec is not None:
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")
