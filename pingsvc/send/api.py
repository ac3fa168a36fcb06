"""POST /api/send and GET /api/send/<id>: sending webmentions for a site's posts, in
Telegraph's shapes and error codes, so a Telegraph user switches by changing the base URL.
Here rather than in pingsvc.api, whose read views never fetch: this one fetches the post."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from pingsvc.api.params import parse_token
from pingsvc.db import db_session, services
from pingsvc.errors import NotFound, PingError, SendRefused
from pingsvc.fetch.addresses import url_refusal
from pingsvc.limits import limiter, per_client
from pingsvc.send import store
from pingsvc.send.post import SendSettings, send_post
from pingsvc.tasking import enqueue_deliver
from pingsvc.tokens import site_for_token
from pingsvc.urls import normalize_url

bp = Blueprint("send_api", __name__, url_prefix="/api")

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class AuthenticationRequired(PingError):
    status = 401
    code = "authentication_required"


class InvalidToken(PingError):
    status = 401
    code = "invalid_token"


def location_url(public_id: str) -> str:
    return current_app.config["BASE_URL"] + url_for("send_api.status", public_id=public_id)


def _field(name: str) -> str | None:
    value = request.form.get(name)
    if value is None:
        value = request.args.get(name)
    value = value.strip() if value is not None else None
    return value or None


@bp.post("/send")
@limiter.limit(per_client)
def send() -> tuple[Response, int, dict[str, str]]:
    """Queue the sends of a post: to `target`, to every link on `target_domain`, or (neither)
    to every link; the post's earlier targets it no longer links are told too."""
    if request.content_length and request.mimetype not in FORM_TYPES:
        raise SendRefused(
            "Send token, source and target as form fields "
            "(Content-Type: application/x-www-form-urlencoded), as Telegraph takes them.",
            code="invalid_parameter",
        )
    token = parse_token(request.form, request.headers)[0] or _field("token")
    if not token:
        raise AuthenticationRequired(
            "The token parameter is missing: give the site's API token (`pingsvc site token HOST`)."
        )
    site = site_for_token(db_session(), token)
    if site is None:
        raise InvalidToken("The token is not a site's current API token.")
    site_id = site.id
    db_session().rollback()  # send_post's sessions are its own; hold no transaction meanwhile
    source, target, domain = _field("source"), _field("target"), _field("target_domain")
    if source is None:
        raise SendRefused("The source parameter is missing.", code="missing_parameters")
    if target is not None and domain is not None:
        raise SendRefused("Give target or target_domain, not both.")
    settings = SendSettings.from_config(current_app.config)
    callback = _field("callback")
    if callback is not None:
        try:
            callback = normalize_url(callback, "callback")
        except PingError as exc:
            raise SendRefused(exc.description) from exc
        # The guard refuses it when it is called; what is known now is told now, rather
        # than a 201 whose callback never comes.
        refusal = url_refusal(callback, settings.callback_policy)
        if refusal is not None:
            raise SendRefused(f"pingsvc will not call this callback: {refusal}.")
    plan = send_post(
        services().db,
        source,
        settings,
        target=target,
        target_domain=domain,
        callback=callback,
        site_id=site_id,
        code=_field("code"),
        realm=_field("realm"),
        enqueue=enqueue_deliver,
    )
    locations = [location_url(p.public_id) for p in plan.targets if p.public_id]
    if target is not None:
        body: dict[str, Any] = {"status": "queued", "location": locations[0]}
        return jsonify(body), 201, {"Location": locations[0]}
    # As Telegraph does for target_domain: a list of locations, and no Location header.
    return jsonify({"status": "queued", "location": locations}), 201, {}


@bp.get("/send/<public_id>")
def status(public_id: str) -> Response:
    """A send's status. Its id is unguessable, so, as Telegraph's, the URL needs no token."""
    row = store.by_public_id(db_session(), public_id)
    if row is None:
        raise NotFound("There is no send with this id.")
    response = jsonify(store.status_document(row))
    response.headers["Cache-Control"] = "no-store"
    return response
