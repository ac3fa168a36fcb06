"""GET /avatar/<signature>/<key>-<size>.webp: the archive's files, signed and immutable."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from pingsvc.avatars import store as avatar_store
from pingsvc.avatars.links import AvatarLinks
from pingsvc.errors import NotFound

bp = Blueprint("avatars", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/avatar/<signature>/<name>")
def avatar(signature: str, name: str) -> Response:
    key = name.split("-", 1)[0]
    if not avatar_store.NAME.match(name) or not AvatarLinks.from_config(current_app.config).valid(
        signature, key
    ):
        raise NotFound("No such avatar: the address is not one this service signed.")
    data = avatar_store.from_config(current_app.config).get(name)
    if data is None:
        raise NotFound("No such avatar: it is no longer archived.")
    response = Response(data, mimetype="image/webp")
    # Keys are content addresses: the bytes behind a URL never change.
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
