"""POST /xmlrpc: Pingback 1.0 over XML-RPC, through the same receive.accept() and verify task
as a webmention, answering with the verdict when it comes within PINGSVC_PINGBACK_WAIT."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from xmlrpc.client import Fault

from flask import Blueprint, Response, current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased
from werkzeug.exceptions import TooManyRequests

from pingsvc.announcements import Watch, verdicts
from pingsvc.db import db_session, services
from pingsvc.errors import (
    FAULT_ALREADY_REGISTERED,
    FAULT_UPSTREAM,
    PingError,
    TargetNotSupported,
)
from pingsvc.http_errors import json_error
from pingsvc.limits import limiter, pacing, per_client
from pingsvc.models import APPROVED, HELD, REJECTED, Mention, utcnow
from pingsvc.pipeline.relations import DUPLICATE
from pingsvc.receive.accept import Accepted, accept, find_site
from pingsvc.receive.webmention import status_url
from pingsvc.receive.xmlrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHODS,
    MULTICALL_MAX,
    TRANSPORT_ERROR,
    Method,
    call,
    method,
    parsed_request,
    request_cost,
    respond,
    verdict_fault,
)
from pingsvc.tasking import enqueue_verify
from pingsvc.urls import host_of, normalize_url, target_key

bp = Blueprint("pingback", __name__)

POLL_FIRST, POLL_MAX = 0.05, 0.25


@bp.post("/xmlrpc")
@limiter.limit(per_client, cost=request_cost)
def endpoint() -> Response:
    parsed = parsed_request()
    if isinstance(parsed, Fault):
        return respond(parsed)
    name, params = parsed
    deadline = time.monotonic() + float(current_app.config["PINGBACK_WAIT"])
    return respond(call(name, params, deadline))


@bp.get("/xmlrpc")
def endpoint_info() -> Response:
    """A GET (someone opened the URL in a browser) explains what the endpoint takes."""
    response = json_error(
        405,
        "method_not_allowed",
        "This is the pingback endpoint: POST an XML-RPC methodCall (pingback.ping) here.",
    )
    response.headers["Allow"] = "POST"
    return response


@bp.errorhandler(TooManyRequests)
def too_many_requests(exc: TooManyRequests) -> Response:
    """429 with Retry-After as on /webmention, the body still an XML-RPC fault a person can read."""
    response = respond(Fault(TRANSPORT_ERROR, f"Too many requests: {exc.description}"), 429)
    for header, value in exc.get_headers():
        if header.lower() not in {"content-type", "content-length"}:
            response.headers[header] = value
    return response


# Pingback.


def _previous_status(session: Session, source: str, target: str) -> str | None:
    """The pair's status before this ping (None when new, or when accept() will refuse it)."""
    try:
        source, target = normalize_url(source, "source"), normalize_url(target, "target")
    except PingError:
        return None
    status = session.scalar(
        select(Mention.status).where(Mention.source == source, Mention.target == target)
    )
    session.rollback()  # give the connection back: accept() uses one of its own
    return status


def wait_for_verdict(
    session: Session, watch: Watch, deadline: float, accepted_at: datetime
) -> Mention | None:
    """Watch the row until the verdict is in (queued_at cleared), a retry is scheduled past the
    deadline, or the deadline passes; return it as last seen. With the listener subscribed
    (Redis), the row is read when the worker announces the end of a try and at the deadline;
    else it is polled."""
    delay = POLL_FIRST
    read = not watch.live or watch.woken  # listening, and nothing heard yet: wait first
    while True:
        if read:
            watch.clear()  # before reading: an announcement from now on wakes the next wait
            session.rollback()  # a new read transaction, or SQLite keeps showing the old snapshot
            mention = session.get(Mention, watch.mention_id, populate_existing=True)
            if settled(mention, accepted_at, deadline - time.monotonic()):
                return mention
        remaining = deadline - time.monotonic()
        if watch.live:
            watch.wait(remaining)  # the worker announced a try's end, or the deadline came
        else:
            time.sleep(max(min(delay, remaining), 0))
            delay = min(delay * 1.5, POLL_MAX)
        read = True


def settled(mention: Mention | None, accepted_at: datetime, remaining: float) -> bool:
    """Whether a waiting ping answers now with the row as read: the verdict is in (or the row
    is gone), the next try comes after the deadline (no use waiting), or the wait is over."""
    if mention is None or mention.queued_at is None:
        return True
    if _retrying(mention, accepted_at) and mention.queued_at >= utcnow() + timedelta(
        seconds=max(remaining, 0)
    ):
        return True
    return remaining <= 0


def _retrying(mention: Mention, accepted_at: datetime) -> bool:
    """The verification this ping queued failed for a transient reason and will try again.
    The pipeline then moves queued_at to the next try's time; accept() had set it to its now."""
    return (
        mention.queued_at is not None
        and mention.error_kind == "upstream"
        and mention.queued_at > accepted_at
    )


def answer(
    accepted: Accepted, mention: Mention | None, previous: str | None, accepted_at: datetime
) -> str:
    """The Pingback 1.0 answer for the mention as last seen: a string, or raise a Fault."""
    pair = f"from {accepted.source} to {accepted.target}"
    if mention is None or mention.queued_at is not None:
        if mention is not None and _retrying(mention, accepted_at):
            raise Fault(
                FAULT_UPSTREAM,
                f"The source could not be fetched yet ({mention.error}); pingsvc tries again "
                f"later. Status: {status_url(accepted.mention_id)}",
            )
        when = ""
        if accepted.deferred > 0:
            when = (
                f" in about {accepted.deferred:.0f} seconds (many mentions came from this "
                "source's domain)"
            )
        return (
            f"Pingback {pair} received; it is queued for verification{when}. "
            f"Status: {status_url(accepted.mention_id)}"
        )
    if mention.status == APPROVED:
        if previous == APPROVED and not mention.changed:
            raise Fault(FAULT_ALREADY_REGISTERED, f"The pingback {pair} is already registered.")
        return f"Pingback {pair} registered. Keep the web talking! :-)"
    if mention.status == HELD:
        return f"Pingback {pair} registered; it will show once the site's owner approves it."
    if mention.status == REJECTED and mention.error_kind == DUPLICATE:
        # A valid ping of a post already mentioned from another URL (the source redirects to
        # it, or is its copy): registered, and shown once, under the first URL.
        if previous == REJECTED and not mention.changed:
            raise Fault(FAULT_ALREADY_REGISTERED, f"The pingback {pair} is already registered.")
        return f"Pingback {pair} registered; it is {mention.error}."
    raise verdict_fault(mention.error_kind, mention.error)


@method(
    "pingback.ping",
    ("string", "string", "string"),
    "pingback.ping(sourceURI, targetURI): sourceURI links to targetURI (Pingback 1.0). Answers "
    "a string, or fault 16 (source not found), 17 (no link to the target), 33 (target not on a "
    "registered site), 48 (already registered), 49 (access denied), 50 (upstream error).",
)
def ping(deadline: float, source: str, target: str) -> str:
    session = db_session()
    previous = _previous_status(session, source, target)
    accepted = accept(services().db, source, target, "pingback", enqueue_verify, pacing())
    accepted_at = utcnow()
    # The broker is down (the sweeper queues it once it is back), or the verification waits
    # for its domain's turn, past any wait: the ping is accepted, answer so now.
    if not accepted.enqueued or accepted.deferred > 0:
        return answer(accepted, None, previous, accepted_at)
    waits = verdicts(current_app)
    with waits.slot() as waiting:
        if not waiting:  # this process's waiting slots are all taken: as after the wait ran out
            return answer(accepted, None, previous, accepted_at)
        with waits.watch(accepted.mention_id) as watch:
            mention = wait_for_verdict(session, watch, deadline, accepted_at)
    return answer(accepted, mention, previous, accepted_at)


@method(
    "pingback.extensions.getPingbacks",
    ("array", "string"),
    "pingback.extensions.getPingbacks(targetURI): the source URLs of the approved mentions "
    "of targetURI, and of the URLs that sent the same post again, oldest first.",
)
def get_pingbacks(_deadline: float, target: str) -> list[str]:
    session = db_session()
    target = normalize_url(target, "target")
    if find_site(session, target) is None:
        raise TargetNotSupported(
            f"{host_of(target)} is not a site this service receives mentions for."
        )
    # A source that is an approved mention's copy (a redirect to it, a syndicated copy) is
    # shown once, under the original, but it did ping: the sender asks about its own URL.
    original = aliased(Mention)
    sources = session.scalars(
        select(Mention.source)
        .outerjoin(original, original.id == Mention.duplicate_of_id)
        .where(
            Mention.target_key == target_key(target),
            Mention.private.is_(False),
            or_(
                Mention.status == APPROVED,
                and_(
                    Mention.status == REJECTED,
                    Mention.error_kind == DUPLICATE,
                    original.status == APPROVED,
                ),
            ),
        )
        .order_by(Mention.received_at, Mention.id)
    ).all()
    return list(sources)


# Introspection and batching (the XML-RPC introspection and multicall conventions).


@method("system.listMethods", ("array",), "system.listMethods(): the methods this server has.")
def list_methods(_deadline: float) -> list[str]:
    return sorted(METHODS)


@method("system.methodHelp", ("string", "string"), "system.methodHelp(name): what a method does.")
def method_help(_deadline: float, name: str) -> str:
    return _known(name).help


@method(
    "system.methodSignature",
    ("array", "string"),
    "system.methodSignature(name): the method's signatures, each [return type, param types...].",
)
def method_signature(_deadline: float, name: str) -> list[list[str]]:
    return [list(_known(name).signature)]


def _known(name: str) -> Method:
    found = METHODS.get(name)
    if found is None:
        raise Fault(INVALID_PARAMS, f"There is no method {name[:100]!r}; see system.listMethods.")
    return found


@method(
    "system.multicall",
    ("array", "array"),
    "system.multicall([{methodName, params}, ...]): several calls in one request; each answer "
    f"is [result] or a fault struct. At most {MULTICALL_MAX} calls.",
)
def multicall(deadline: float, calls: list[Any]) -> list[Any]:
    if len(calls) > MULTICALL_MAX:
        raise Fault(
            INVALID_PARAMS, f"system.multicall takes at most {MULTICALL_MAX} calls; split them."
        )
    results: list[Any] = []
    for entry in calls:
        outcome = _one_of_many(entry, deadline)
        if isinstance(outcome, Fault):
            results.append({"faultCode": outcome.faultCode, "faultString": outcome.faultString})
        else:
            results.append([outcome])
    return results


def _one_of_many(entry: Any, deadline: float) -> Any:
    if not isinstance(entry, dict):
        return Fault(INVALID_PARAMS, "Each system.multicall entry must be a struct.")
    name, params = entry.get("methodName"), entry.get("params", [])
    if not isinstance(name, str) or not isinstance(params, list):
        return Fault(
            INVALID_PARAMS, "A system.multicall entry needs methodName (string) and params (array)."
        )
    if name == "system.multicall":
        return Fault(INVALID_REQUEST, "system.multicall cannot be called inside system.multicall.")
    return call(name, tuple(params), deadline)
