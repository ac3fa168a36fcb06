"""XML-RPC for the pingback endpoint: reading a methodCall (no DTD, no entities), the fault
codes, the method registry and its dispatch, and writing the methodResponse."""

from __future__ import annotations

import logging
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError
from xmlrpc.client import Fault

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser
from flask import Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from pingsvc.db import db_session, rollback_quietly
from pingsvc.errors import (
    DATABASE_UNAVAILABLE,
    FAULT_BY_KIND,
    FAULT_GENERIC,
    FetchError,
    PingError,
    database_unavailable,
)

log = logging.getLogger(__name__)


def to_fault(exc: PingError | FetchError) -> Fault:
    """The XML-RPC fault for a refused request or a failed fetch: their one pingback form."""
    if isinstance(exc, PingError):
        return Fault(exc.fault, exc.description)
    return Fault(exc.fault, _sentence(exc.reason))


def verdict_fault(kind: str | None, reason: str | None) -> Fault:
    """The fault for a verification that ended without a post, from what
    pipeline.store.finish stored."""
    code = FAULT_BY_KIND.get(kind or "", FAULT_GENERIC)
    return Fault(code, _sentence(reason or "the source could not be verified"))


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


# XML-RPC's own fault codes (the "specification for fault code interoperability").
PARSE_ERROR = -32700
UNSUPPORTED_ENCODING = -32701
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
APPLICATION_ERROR = -32500
TRANSPORT_ERROR = -32300

MULTICALL_MAX = 50
_TYPES: dict[str, type] = {"string": str, "array": list, "struct": dict}


@dataclass(frozen=True)
class Method:
    function: Callable[..., Any]
    signature: tuple[str, ...]  # the return type, then each parameter's type
    help: str


METHODS: dict[str, Method] = {}


def method(name: str, signature: tuple[str, ...], help: str) -> Callable[..., Any]:
    """Register an XML-RPC method; it is called with the request's deadline, then its params."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        METHODS[name] = Method(function, signature, help)
        return function

    return register


# Reading the request.


class _CallReader(xmlrpc.client.Unmarshaller):
    """The stdlib unmarshaller, also taking a methodCall without <params> (no parameters),
    and checking that each struct <member> holds one <name> and one <value> (the stdlib pairs
    up whatever a struct holds: a lone name fails with IndexError, two make a wrong dict)."""

    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)

    def __init__(self) -> None:
        super().__init__()
        self._members: list[int] = []  # the stack's length where each open <member> began

    def start(self, tag: str, attrs: Any) -> None:
        if tag.rsplit(":", 1)[-1] == "member":
            self._members.append(len(self._stack))
        super().start(tag, attrs)

    def end_member(self, _data: str) -> None:
        begun = self._members.pop() if self._members else len(self._stack)
        added = self._stack[begun:]
        if len(added) != 2 or not isinstance(added[0], str):
            raise Fault(
                INVALID_REQUEST,
                "The request is not a valid XML-RPC call: each <member> of a <struct> needs "
                "one <name> and one <value>.",
            )

    dispatch["member"] = end_member  # type: ignore[assignment]  # called with a _CallReader

    def params(self) -> tuple[Any, ...]:
        if self._type in (None, "methodName") and not self._marks and not self._stack:
            return ()
        if self._type != "params":
            raise xmlrpc.client.ResponseError("a methodResponse is not a methodCall")
        return self.close()


def read_call(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """Parse an XML-RPC methodCall; raise Fault when it is not one. No DTD, so no entities."""
    reader = _CallReader()
    parser = DefusedExpatParser(reader, forbid_dtd=True)
    try:
        parser.feed(body)
        parser.close()
        params = reader.params()
    except DefusedXmlException as exc:  # before ValueError: it is one
        raise Fault(
            PARSE_ERROR,
            "XML-RPC requests may not contain a DOCTYPE or entity declarations "
            f"({type(exc).__name__}).",
        ) from exc
    except ExpatError as exc:
        raise Fault(PARSE_ERROR, f"The request is not well-formed XML ({exc}).") from exc
    except (IndexError, KeyError) as exc:  # LookupErrors that are not about the encoding
        raise Fault(INVALID_REQUEST, f"The request is not a valid XML-RPC call ({exc}).") from exc
    except LookupError as exc:  # expat asked Python's codecs for an encoding they don't know
        raise Fault(
            UNSUPPORTED_ENCODING,
            f"The request's XML declaration names an encoding Python does not know ({exc}); "
            "send UTF-8.",
        ) from exc
    except (xmlrpc.client.ResponseError, ValueError, TypeError, ArithmeticError) as exc:
        raise Fault(INVALID_REQUEST, f"The request is not a valid XML-RPC call ({exc}).") from exc
    name = reader.getmethodname()
    if not name:
        raise Fault(INVALID_REQUEST, "The request is not an XML-RPC methodCall with a methodName.")
    return name, params


def parsed_request() -> tuple[str, tuple[Any, ...]] | Fault:
    """The request's call, read once (the rate limiter's cost and the view both need it)."""
    if "xmlrpc_call" not in g:
        g.xmlrpc_call = _read_request()
    return g.xmlrpc_call  # type: ignore[no-any-return]


def _read_request() -> tuple[str, tuple[Any, ...]] | Fault:
    if request.content_encoding not in (None, "", "identity"):
        return Fault(PARSE_ERROR, "Send the XML-RPC request uncompressed (no Content-Encoding).")
    try:
        # The raw body whatever the Content-Type says: real senders label their XML as
        # text/xml, application/xml, application/octet-stream or even a form.
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_REQUEST_BYTES"]
        return Fault(TRANSPORT_ERROR, f"The request is larger than {limit} bytes; send less.")
    try:
        return read_call(body)
    except Fault as fault:
        return fault


def request_cost() -> int:
    """What the request counts against the per-client limit: one per call in a multicall,
    nothing for a multicall refused for its size (it runs none of its calls)."""
    parsed = parsed_request()
    if isinstance(parsed, tuple) and parsed[0] == "system.multicall" and parsed[1]:
        calls = parsed[1][0]
        if isinstance(calls, list):
            return 0 if len(calls) > MULTICALL_MAX else max(1, len(calls))
    return 1


# Answering.


def respond(outcome: Any, status: int = 200) -> Response:
    """An XML-RPC methodResponse: a fault or the one result."""
    params = outcome if isinstance(outcome, Fault) else (outcome,)
    body = xmlrpc.client.dumps(params, methodresponse=True)
    return Response(body, status=status, mimetype="text/xml")


def call(name: str, params: tuple[Any, ...], deadline: float) -> Any:
    """Run one method. A Fault is returned, not raised, so system.multicall can collect it."""
    try:
        found = METHODS.get(name)
        if found is None:
            raise Fault(
                METHOD_NOT_FOUND, f"There is no method {name[:100]!r}; see system.listMethods."
            )
        _check_params(name, found, params)
        return found.function(deadline, *params)
    except Fault as fault:
        return fault
    except PingError as exc:
        return to_fault(exc)
    except Exception as exc:  # a fault keeps XML-RPC's contract and a multicall's other calls
        if database_unavailable(exc):
            log.warning("XML-RPC method %s: database unavailable: %s", name, exc)
            rollback_quietly(db_session())
            return Fault(FAULT_GENERIC, DATABASE_UNAVAILABLE)
        log.exception("XML-RPC method %s failed", name)
        db_session().rollback()
        return Fault(APPLICATION_ERROR, "Something went wrong on our side; try again later.")


def _check_params(name: str, found: Method, params: tuple[Any, ...]) -> None:
    wanted = found.signature[1:]
    if len(params) != len(wanted):
        shown = ", ".join(wanted) or "no parameters"
        raise Fault(INVALID_PARAMS, f"{name} takes {len(wanted)} parameters ({shown}).")
    for position, (value, kind) in enumerate(zip(params, wanted, strict=True), start=1):
        if not isinstance(value, _TYPES[kind]):
            raise Fault(INVALID_PARAMS, f"Parameter {position} of {name} must be a {kind}.")
