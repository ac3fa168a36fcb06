"""The only outbound HTTP in pingsvc: a GET that refuses private addresses and hostile pages.

Written here rather than taken from requests-hardened or advocate (see SECURITY.md for the
comparison): this module pins the resolved address the way requests-hardened does, but
neither library can allow one host:port while refusing the rest of loopback, has a port
policy, or enforces size and total-time budgets across redirects; advocate also needs
urllib3 < 2, which lacks the fixes for decompression bombs in streamed reads.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from selectolax.lexbor import LexborHTMLParser
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from pingsvc import hostile
from pingsvc.addresses import IPAddress, address_refusal, resolve
from pingsvc.deadline import Deadline, WatchedHTTPSPool, WatchedPool
from pingsvc.errors import (
    FetchError,
    HostilePage,
    RefusedAddress,
    SourceGone,
    TransientFetchError,
)

__all__ = ["FetchPolicy", "IPAddress", "Page", "address_refusal", "fetch", "resolve"]

CHUNK = 16 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_GONE_META = re.compile(
    rb"""<meta[^>]+http-equiv\s*=\s*["']?status["']?[^>]+content\s*=\s*["']?\s*410""", re.I
)
JSON_TYPES = {"application/json", "application/ld+json", "application/activity+json"}


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch; built from the PINGSVC_FETCH_* settings."""

    timeout: float = 10.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 10
    max_depth: int = 512
    ports: frozenset[int] = frozenset({80, 443})
    # "host:port" or "address:port" that may be fetched although private (tests, intranets).
    allow: frozenset[str] = frozenset()
    user_agent: str = "pingsvc"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FetchPolicy:
        return cls(
            timeout=float(config["FETCH_TIMEOUT"]),
            max_bytes=int(config["FETCH_MAX_BYTES"]),
            max_redirects=int(config["FETCH_MAX_REDIRECTS"]),
            max_depth=int(config["FETCH_MAX_DEPTH"]),
            ports=frozenset(int(p) for p in config["FETCH_PORTS"]),
            allow=frozenset(a.strip().lower() for a in config["FETCH_ALLOW"]),
            user_agent=str(config["USER_AGENT"]),
        )

    def allows(self, host: str, port: int) -> bool:
        """True when `host:port` (a name as written in the URL, or an address) is allowed."""
        bare = host.lower().strip("[]")
        return f"{bare}:{port}" in self.allow or (":" in bare and f"[{bare}]:{port}" in self.allow)

    def allows_port(self, port: int) -> bool:
        """True when some allow entry could let a fetch on `port` through."""
        return port in self.ports or any(a.rsplit(":", 1)[-1] == str(port) for a in self.allow)


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
    _tree: LexborHTMLParser | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = decode_body(self.body, self.charset, html=self.is_html)
        return self._text

    @property
    def tree(self) -> LexborHTMLParser:
        """The page parsed by lexbor once, for the link check and the extraction to share;
        they only read it (what changes a tree parses its own)."""
        if self._tree is None:
            self._tree = LexborHTMLParser(self.text)
        return self._tree

    @property
    def is_html(self) -> bool:
        return self.media_type in {"text/html", "application/xhtml+xml"}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its tree (lexbor's can't be) and decoded text (the body is sent
        once): a sandbox child decodes and parses it again."""
        return {**self.__dict__, "_text": None, "_tree": None}

    @property
    def is_json(self) -> bool:
        return self.media_type in JSON_TYPES or self.media_type.endswith("+json")


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

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # sockets the deadline can shut
            "http": WatchedPool,
            "https": WatchedHTTPSPool,
        }

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


def fetch(
    url: str, policy: FetchPolicy, session: requests.Session | None = None, *, check: bool = True
) -> Page:
    """GET `url` within the policy's limits; raise a FetchError subclass saying what went wrong.
    With check=False the body's checks (`check_page`) are left to the caller, which runs them
    where its parsing runs (the pipeline: in a sandbox child, within the CPU budget)."""
    own_session = session is None
    session = session or make_session(policy)
    try:
        with Deadline(policy.timeout) as deadline:
            return _follow(url, session, policy, deadline, check)
    finally:
        if own_session:
            session.close()


def _follow(
    url: str, session: requests.Session, policy: FetchPolicy, deadline: Deadline, check: bool
) -> Page:
    current = url
    for _hop in range(policy.max_redirects + 1):
        _check_scheme(current)
        response = _get(session, current, deadline)
        try:
            if response.status_code in _REDIRECTS and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                continue
            return _read_page(current, response, policy, deadline, check)
        finally:
            response.close()
    raise HostilePage(f"the source redirected more than {policy.max_redirects} times")


def _check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise RefusedAddress("the source redirected to a URL that is not http or https")


def _get(session: requests.Session, url: str, deadline: Deadline) -> requests.Response:
    remaining = deadline.remaining()
    if remaining <= 0 or deadline.expired:
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
    except requests.exceptions.ConnectionError as exc:
        if isinstance(exc.__context__, FetchError):
            raise exc.__context__ from None
        if deadline.expired or isinstance(exc, requests.exceptions.Timeout):
            raise TransientFetchError("the source did not answer in time") from exc
        raise TransientFetchError("could not connect to the source") from exc
    except requests.exceptions.Timeout as exc:
        raise TransientFetchError("the source did not answer in time") from exc
    except FetchError:
        raise
    except requests.exceptions.RequestException as exc:
        if deadline.expired:
            raise TransientFetchError("the source did not answer in time") from exc
        raise TransientFetchError(f"fetching the source failed ({type(exc).__name__})") from exc


def _read_page(
    url: str, response: requests.Response, policy: FetchPolicy, deadline: Deadline, check: bool
) -> Page:
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


def _read_body(response: requests.Response, policy: FetchPolicy, deadline: Deadline) -> bytes:
    """The decompressed body, streamed: never more than max_bytes (plus one chunk) in memory."""
    too_slow = "the source took longer than the time limit to send its page"
    body = bytearray()
    try:
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            body += chunk
            if len(body) > policy.max_bytes:
                raise HostilePage(f"the source is larger than the {policy.max_bytes} byte limit")
            if deadline.expired or deadline.remaining() <= 0:
                raise HostilePage(too_slow)
    except FetchError:
        raise
    except (TimeoutError, ReadTimeoutError, requests.exceptions.Timeout) as exc:
        raise HostilePage(too_slow) from exc
    except DecodeError as exc:
        if deadline.expired:
            raise HostilePage(too_slow) from exc
        raise FetchError("the source's compressed body could not be decoded") from exc
    except (ProtocolError, OSError) as exc:
        if deadline.expired:
            raise HostilePage(too_slow) from exc
        raise TransientFetchError("the source closed the connection mid-page") from exc
    if deadline.expired:  # the watchdog cut the stream; what arrived is not the whole page
        raise HostilePage(too_slow)
    return bytes(body)


def check_page(page: Page, max_depth: int) -> None:
    """Refuse bodies no parser should be handed: binary data, undecodable text, and documents
    nested deeper than `max_depth`. Other media types are refused later by verify. Linear,
    but up to a second of CPU for 1 MiB of tags: the pipeline runs it in its sandbox."""
    if not (page.is_html or page.is_json or page.media_type.startswith("text/")):
        return
    codec = choose_codec(page.body, page.charset, html=page.is_html)
    bom = _bom(page.body)
    raw = page.body[len(bom[0]) :] if bom else page.body
    replaced = hostile.replaced_characters(raw, codec) if codec not in ("cp1252",) else 0
    hostile.check_text(page.text, page.media_type, replaced=replaced, codec=codec)
    if page.is_html or page.is_json:
        hostile.check_structure(page.text, page.media_type, max_depth, is_json=page.is_json)


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
    """Python's name for a text encoding label, as browsers read it (Latin-1 as cp1252,
    Shift_JIS as cp932...); None for unknown labels, for codecs that are not text encodings
    (base64, rot13, zlib...) and for UTF-7, which browsers never decode."""
    if not codec:
        return None
    label = codec.strip().lower()
    try:
        info = codecs.lookup(_LABELS.get(label, label))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        return None
    return _BROWSER_CODECS.get(info.name, info.name)


def _declared(body: bytes) -> str | None:
    """The charset the document declares in its first bytes: <meta charset>, <meta
    http-equiv=Content-Type content="...; charset=">, or an XML declaration."""
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    codec = _known(match.group(1).decode("ascii", "ignore")) if match else None
    # An ASCII-readable declaration of UTF-16 can't be true of a UTF-16 page; browsers take
    # it as UTF-8, and so does this.
    return "utf-8" if codec and codec.startswith("utf-16") else codec


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bom(body: bytes) -> tuple[bytes, str] | None:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return bom, codec
    return None


def choose_codec(body: bytes, charset: str | None, *, html: bool = True) -> str:
    """The encoding to read `body` in: BOM, then the HTTP charset, then the document's own
    declaration (<meta charset>, http-equiv, <?xml encoding>), then UTF-8 when the bytes are
    valid UTF-8, else cp1252."""
    bom = _bom(body)
    if bom:
        return bom[1]
    codec = _known(charset)
    if codec == "utf-16":
        codec = "utf-16-le"  # the WHATWG meaning of the bare label, without a BOM
    if codec is None and html:
        codec = _declared(body)
    if codec is not None:
        return codec
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_body(body: bytes, charset: str | None, *, html: bool = True) -> str:
    """Decode by BOM, then the HTTP charset, then <meta charset>, then UTF-8, then cp1252."""
    bom = _bom(body)
    codec = choose_codec(body, charset, html=html)
    raw = body[len(bom[0]) :] if bom else body
    return raw.decode(codec, errors="replace")
