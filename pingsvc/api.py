"""The public read API: /api/mentions.jf2 and /api/count.json, as webmention.io answers them."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from pingsvc import db_session, jf2
from pingsvc.errors import PingError
from pingsvc.models import APPROVED, Mention
from pingsvc.urls import normalize_url, target_key

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 10_000


def _targets() -> list[str]:
    raw = request.args.getlist("target") + request.args.getlist("target[]")
    if not raw:
        raise PingError("Give the post URL as ?target=URL.", code="missing_target")
    return sorted({target_key(normalize_url(t, "target")) for t in raw})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise PingError(f"{name} must be a whole number.", code="invalid_parameter") from exc
    if not low <= value <= high:
        raise PingError(f"{name} must be between {low} and {high}.", code="invalid_parameter")
    return value


def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
    return response


@bp.get("/mentions.jf2")
def mentions_jf2() -> Response:
    keys = _targets()
    per_page = _int_arg("per-page", 20, 1, MAX_PER_PAGE)
    page = _int_arg("page", 0, 0, 10_000_000)
    query = (
        select(Mention)
        .where(Mention.target_key.in_(keys), Mention.status == APPROVED)
        .order_by(Mention.received_at.desc(), Mention.id.desc())
        .limit(per_page)
        .offset(page * per_page)
    )
    children = [jf2.entry(m) for m in db_session().scalars(query)]
    return _public(jsonify(jf2.feed(children)))


@bp.get("/count.json")
@bp.get("/count")
def count() -> Response:
    keys = _targets()
    rows = db_session().scalars(
        select(Mention).where(Mention.target_key.in_(keys), Mention.status == APPROVED)
    )
    types = Counter(jf2.type_key(m) for m in rows)
    return _public(jsonify({"count": sum(types.values()), "type": dict(types)}))
