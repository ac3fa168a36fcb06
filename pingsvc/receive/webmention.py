"""POST /webmention and its status pages (W3C Webmention, receiver side)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from pingsvc.api.params import parse_token
from pingsvc.dashboard import access
from pingsvc.dashboard.auth import current_account
from pingsvc.db import db_session, services
from pingsvc.errors import NotFound, PingError
from pingsvc.http_errors import json_error
from pingsvc.limits import limiter, pacing, per_client
from pingsvc.models import APPROVED, Mention
from pingsvc.receive.accept import accept, parse_extras
from pingsvc.tasking import enqueue_verify
from pingsvc.tokens import site_for_token

bp = Blueprint("webmention", __name__)

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def status_url(mention_id: int) -> str:
    base = current_app.config["BASE_URL"]
    return base + url_for("webmention.status", mention_id=mention_id)


@bp.post("/webmention")
@limiter.limit(per_client)  # and per source domain, in accept(): see pingsvc.limits
def receive() -> tuple[Response, int, dict[str, str]]:
    if request.mimetype not in FORM_TYPES:
        raise PingError(
            "Send source and target as form fields "
            "(Content-Type: application/x-www-form-urlencoded).",
            code="unsupported_content_type",
        )
    extras = parse_extras(
        request.form.get("code"), request.form.get("realm"), request.form.get("vouch")
    )
    accepted = accept(
        services().db,
        request.form.get("source", ""),
        request.form.get("target", ""),
        "webmention",
        enqueue_verify,
        pacing(),
        extras,
    )
    location = status_url(accepted.mention_id)
    summary = "Webmention was queued for processing"
    if accepted.deferred:
        summary += (
            f"; many came from this source's domain, so it is verified in about "
            f"{accepted.deferred:.0f} seconds"
        )
    body = jsonify(
        {
            "status": "queued",
            "summary": summary,
            "location": location,
            "source": accepted.source,
            "target": accepted.target,
        }
    )
    return body, 201, {"Location": location}


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Response:
    """413 as JSON, saying the limit (PINGSVC_MAX_REQUEST_BYTES) and what a request needs."""
    limit = current_app.config["MAX_REQUEST_BYTES"]
    return json_error(
        413,
        "request_too_large",
        f"The request body is larger than {limit} bytes; a webmention needs only the source "
        "and target form fields.",
    )


def status_document(mention: Mention, *, full: bool = True) -> dict[str, Any]:
    """The status page's JSON: what a sender polls to learn the verdict. `full` adds what only
    readers who may see the mention get: its source and target, and its earlier state."""
    status = "pending" if mention.queued_at is not None else mention.status
    document: dict[str, Any] = {"id": mention.id, "status": status}
    if full:
        document.update(source=mention.source, target=mention.target)
    document["protocol"] = mention.protocol
    document["received"] = mention.received_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if mention.verified_at is not None:
        document["verified"] = mention.verified_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if full and mention.queued_at is not None and mention.status != "pending":
        document["previous_status"] = mention.status
    if mention.error and (status in ("rejected", "deleted") or mention.queued_at is not None):
        key = "error" if status == "rejected" else "last_error" if status == "pending" else "reason"
        document[key] = mention.error if full else redacted_error(mention)
    return document


_BLOCKED = "the site's owner blocked this source"


def redacted_error(mention: Mention) -> str:
    """The reason as a reader who may not see the mention gets it: a block names no rule (ids
    are sequential, so anyone can ask, and the owner's block rules are the owner's)."""
    text = mention.error or ""
    return _BLOCKED if text.startswith(_BLOCKED) else text


def may_read(mention: Mention) -> bool:
    """Whether this request may see the mention's source and target: anyone while it is
    approved and not private (the public API shows it then), else only the site's owner (a
    dashboard session that may see the site, or the site's API token). Ids are sequential,
    so anyone can ask for any id; the sender already knows its source and target and still
    gets the status."""
    if mention.status == APPROVED and not mention.private:
        return True
    me = current_account()
    if me is not None and access.may_see(me, mention.site):
        return True
    token, _ = parse_token(request.args, request.headers)
    site = site_for_token(db_session(), token) if token else None
    return site is not None and site.id == mention.site_id


@bp.get("/webmention/status/<id:mention_id>")
def status(mention_id: int) -> Response:
    mention = db_session().get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"There is no webmention with id {mention_id}.")
    response = jsonify(status_document(mention, full=may_read(mention)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, Authorization"
    return response


@bp.get("/webmention")
def endpoint_info() -> Response:
    """A GET on the endpoint explains how to use it (some people open it in a browser)."""
    return jsonify(
        {
            "endpoint": current_app.config["BASE_URL"] + "/webmention",
            "usage": "POST form fields source and target (W3C Webmention).",
        }
    )
