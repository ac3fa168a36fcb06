"""Notifying one target: fetch it, discover its endpoint, send the webmention or the pingback,
and say what came of it (a Delivery). No database: the caller stores the result.

Both the target page and the endpoint it names are chosen by strangers, so both go through
fetch.client's address guard; the target page is read in the parse sandbox (its markup is a
stranger's too), and only when its Link header has not already named an endpoint. A post's
links are read in the sandbox too (`links_of`): send.links and fetch.discovery stay pure.
"""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError
from xmlrpc.client import Fault

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser

from pingsvc.errors import FetchError, RefusedAddress, TransientFetchError
from pingsvc.fetch.client import Answer, Session, fetch, post, retry_after
from pingsvc.fetch.discovery import Endpoint, endpoint_of, header_endpoint, resolve
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox
from pingsvc.sanitize import safe_url
from pingsvc.send.links import post_links
from pingsvc.terminal import printable
from pingsvc.urls import URL_MAX_LENGTH

Status = Literal["accepted", "not_supported", "error", "retry"]

# Pingback 1.0 fault codes that mean something other than "refused for good".
FAULT_ALREADY_REGISTERED = 0x30  # sent before: the receiver has it, which is what we wanted
FAULT_UPSTREAM = 0x32  # the receiver could not reach a server (ours, likely): try again later
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class Delivery:
    """What came of notifying one target. `retry` is a failure worth another try (after
    `retry_after` seconds when the receiver said so); `location` is the receiver's status URL."""

    status: Status
    protocol: str | None
    endpoint: str | None
    http_code: int | None
    summary: str
    location: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class ParseLimits:
    """How a target page is read: in a sandbox child within a CPU budget (pipeline.sandbox),
    the same settings as for source pages."""

    processes: int = 2
    cpu_limit: float = 1.0
    cpu_per_mib: float = 10.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ParseLimits:
        return cls(
            processes=int(config.get("PARSE_PROCESSES", 2)),
            cpu_limit=float(config.get("PARSE_CPU_LIMIT", 1.0)),
            cpu_per_mib=float(config.get("PARSE_CPU_PER_MIB", 10.0)),
        )


def read_endpoint(page: Page, max_depth: int) -> Endpoint | None:
    """The endpoint a fetched target advertises, after the checks every parsed page gets
    (run in a sandbox child)."""
    check_page(page, max_depth)
    return endpoint_of(page)


def read_links(page: Page, max_depth: int, include_own_host: bool) -> list[str]:
    """A fetched post's links, after the checks every parsed page gets (in a sandbox child)."""
    check_page(page, max_depth)
    return post_links(page, include_own_host=include_own_host)


def _in_sandbox(
    read: Callable[..., Any], page: Page, *args: Any, limits: ParseLimits | None, subject: str
) -> Any:
    """`read(page, *args)` in a sandbox child, within a CPU budget that grows with the
    page's size as the pipeline's does; its FetchErrors are told of `subject`."""
    limits = limits or ParseLimits()
    budget = max(limits.cpu_limit, limits.cpu_per_mib * len(page.body) / 2**20)
    readers = sandbox.pool(limits.processes, limits.cpu_limit)
    return readers.run(
        read, page, *args,
        wall_limit=60 * budget, what=f"{page.media_type}, {len(page.body)} bytes",
        cpu_limit=budget, subject=subject,
    )  # fmt: skip


def links_of(
    page: Page,
    policy: FetchPolicy,
    *,
    include_own_host: bool = False,
    limits: ParseLimits | None = None,
) -> list[str]:
    """send.links.post_links of a fetched post, read in the parse sandbox; raise a FetchError
    (told of "the post") for a page no parser should be handed."""
    found: list[str] = _in_sandbox(
        read_links, page, policy.max_depth, include_own_host, limits=limits, subject="the post"
    )
    return found


def discover(
    target: str,
    policy: FetchPolicy,
    session: Session | None = None,
    *,
    limits: ParseLimits | None = None,
) -> Endpoint | None:
    """GET `target` through the guarded fetch (following redirects) and return the endpoint
    it advertises, relative URLs resolved against the final URL; raise a FetchError subclass
    (told of "the target") when the page can't be had or read."""
    try:
        page = fetch(target, policy, session, check=False)
    except FetchError as exc:
        raise exc.about("the target") from exc
    if not page.is_html or header_endpoint(page) is not None:
        return endpoint_of(page)  # read from the headers alone: nothing to parse
    found: Endpoint | None = _in_sandbox(
        read_endpoint, page, policy.max_depth, limits=limits, subject="the target"
    )
    return found


def deliver(
    source: str,
    target: str,
    policy: FetchPolicy,
    session: Session | None = None,
    *,
    limits: ParseLimits | None = None,
    fields: Mapping[str, str] | None = None,
) -> Delivery:
    """Tell `target` that `source` links to it: its webmention endpoint, else its pingback
    server. Never raises for what the network or the receiver did; the Delivery says.
    `fields` go with a webmention besides source and target (code, realm, vouch); pingback
    has no place for them."""
    try:
        endpoint = discover(target, policy, session, limits=limits)
    except FetchError as exc:
        return _failed(None, exc)
    if endpoint is None:
        return Delivery(
            "not_supported", None, None, None,
            "the target advertises no webmention endpoint and no pingback server",
        )  # fmt: skip
    if urlsplit(endpoint.url).scheme.lower() not in {"http", "https"}:
        return Delivery(
            "error", endpoint.protocol, endpoint.url, None,
            f"the target's {endpoint.protocol} endpoint is not an http or https URL",
        )  # fmt: skip
    if len(endpoint.url) > URL_MAX_LENGTH:
        # No URL pingsvc takes or stores is longer (PostgreSQL would refuse the row, and the
        # worker would retry a delivery that already went out); no real endpoint is either.
        return Delivery(
            "error", endpoint.protocol, endpoint.url[: URL_MAX_LENGTH - 1] + "…", None,
            f"the target's {endpoint.protocol} endpoint URL is {len(endpoint.url)} characters "
            f"long, longer than {URL_MAX_LENGTH}; pingsvc does not send to it",
        )  # fmt: skip
    if endpoint.protocol == "webmention":
        return _webmention(source, target, endpoint, policy, session, fields or {})
    return _pingback(source, target, endpoint, policy, session)


def _failed(endpoint: Endpoint | None, exc: FetchError) -> Delivery:
    """A request that got no usable answer: timeouts, refused connections and 5xx are worth
    another try; refused addresses, hostile pages and 4xx are not."""
    status: Status = "retry" if isinstance(exc, TransientFetchError) else "error"
    reason = exc.reason
    if isinstance(exc, RefusedAddress):
        reason = f"refused: {reason}"
    return Delivery(
        status,
        endpoint.protocol if endpoint else None,
        endpoint.url if endpoint else None,
        exc.status_code,
        reason,
        retry_after=exc.retry_after,
    )


def _webmention(
    source: str,
    target: str,
    endpoint: Endpoint,
    policy: FetchPolicy,
    session: Session | None,
    fields: Mapping[str, str],
) -> Delivery:
    """§3.1.3: a form POST of source and target (an endpoint's query string stays in its URL);
    any 2xx is success, and a Location header is the receiver's status URL."""
    form = {**fields, "source": source, "target": target}
    try:
        answer = post(endpoint.url, form, policy, session)
    except FetchError as exc:
        return _failed(endpoint, exc)
    code = answer.status_code
    said = _said(answer)
    if 200 <= code < 300:
        header = answer.header("Location")
        location = resolve(answer.url, header) if header else None
        if location is not None and len(location) > URL_MAX_LENGTH:
            # Kept only when it fits where URLs are stored: the webmention did go out.
            location = None
            said += f" (its status URL is longer than {URL_MAX_LENGTH} characters: not kept)"
        elif location is not None and not _linkable(location):
            # It goes out in the API's JSON and the callback, where clients link it.
            location = None
            said += " (its status URL is not an http(s) URL: not kept)"
        return Delivery(
            "accepted", "webmention", endpoint.url, code,
            f"the endpoint accepted the webmention ({code}){said}", location=location,
        )  # fmt: skip
    return _refused(endpoint, answer, f"the endpoint answered {code}{said}")


def _linkable(url: str) -> bool:
    """An absolute http(s) URL without spaces or control characters (no javascript:)."""
    return safe_url(url) is not None and printable(url) == url


def _refused(endpoint: Endpoint, answer: Answer, summary: str) -> Delivery:
    """An answer other than success: 429 and 5xx are retried (after Retry-After, if given)."""
    code = answer.status_code
    if code == 429 or code >= 500:
        wait = retry_after(answer.header("Retry-After"))
        return Delivery("retry", endpoint.protocol, endpoint.url, code, summary, retry_after=wait)
    if 300 <= code < 400:
        summary += " (a redirect other than 307 or 308, which a POST does not follow)"
    return Delivery("error", endpoint.protocol, endpoint.url, code, summary)


def _said(answer: Answer) -> str:
    """The start of a plain-text or JSON answer, for a person to read; nothing for markup."""
    media_type = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    if not answer.body or not (media_type == "text/plain" or media_type.endswith("json")):
        return ""
    text = answer.body.decode("utf-8", errors="replace")
    if media_type.endswith("json"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):  # the fields receivers use for a sentence
            for key in ("summary", "error_description", "message", "error", "status"):
                if isinstance(document.get(key), str):
                    text = document[key]
                    break
    text = " ".join(text.split())
    if len(text) > SUMMARY_CHARS:
        text = text[: SUMMARY_CHARS - 1] + "…"
    return f": {text}" if text else ""


def _pingback(
    source: str,
    target: str,
    endpoint: Endpoint,
    policy: FetchPolicy,
    session: Session | None,
) -> Delivery:
    """Pingback 1.0: an XML-RPC pingback.ping(source, target); its result string, or its
    fault code and string."""
    call = xmlrpc.client.dumps((source, target), "pingback.ping").encode("utf-8")
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    try:
        answer = post(endpoint.url, call, policy, session, headers=headers)
    except FetchError as exc:
        return _failed(endpoint, exc)
    code = answer.status_code
    if code != 200:
        return _refused(endpoint, answer, f"the pingback server answered {code}")
    try:
        result = read_response(answer.body)
    except Fault as fault:
        return _fault(endpoint, code, fault)
    except ValueError as exc:
        if answer.late:  # its reply was still coming: a slow server, tried again
            return Delivery(
                "retry", "pingback", endpoint.url, code,
                "the pingback server did not answer in time",
            )  # fmt: skip
        cut = " (it was cut at the size limit)" if answer.truncated else ""
        return Delivery(
            "error", "pingback", endpoint.url, code,
            f"the pingback server's answer is not an XML-RPC response{cut}: {exc}",
        )  # fmt: skip
    said = " ".join(str(result).split())[:SUMMARY_CHARS]
    return Delivery("accepted", "pingback", endpoint.url, code, said or "pingback accepted")


def _fault(endpoint: Endpoint, code: int, fault: Fault) -> Delivery:
    text = " ".join(str(fault.faultString).split())[:SUMMARY_CHARS]
    summary = f"fault {fault.faultCode}: {text}"
    if fault.faultCode == FAULT_ALREADY_REGISTERED:
        return Delivery("accepted", "pingback", endpoint.url, code, summary)
    status: Status = "retry" if fault.faultCode == FAULT_UPSTREAM else "error"
    return Delivery(status, "pingback", endpoint.url, code, summary)


def read_response(body: bytes) -> Any:
    """The one value of an XML-RPC methodResponse; raise its Fault, or ValueError when the
    body is not a methodResponse. No DTD, so no entities (defusedxml)."""
    reader = xmlrpc.client.Unmarshaller()
    parser = DefusedExpatParser(reader, forbid_dtd=True)
    try:
        parser.feed(body)
        parser.close()
        values = reader.close()
    except Fault:
        raise
    except DefusedXmlException as exc:  # before ValueError: it is one
        raise ValueError("it declares a DOCTYPE or entities") from exc
    except ExpatError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from exc
    except (xmlrpc.client.ResponseError, LookupError, TypeError, ArithmeticError) as exc:
        raise ValueError(f"not an XML-RPC methodResponse ({exc})") from exc
    if reader.getmethodname() is not None or len(values) != 1:
        raise ValueError("not an XML-RPC methodResponse with one value")
    return values[0]
