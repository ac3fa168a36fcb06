"""Rate limits on the receiving endpoints: per client address and per source domain.

Flask-Limiter stores its counters in Redis when PINGSVC_REDIS_URL is set (shared by every web
process), in memory otherwise. Over the limit, a sender gets 429 with Retry-After.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from pingsvc.urls import host_of

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")


def source_domain() -> str:
    """The limit key for a webmention's source host, so one site can't flood from many IPs."""
    source = (request.form.get("source") or "").strip()
    try:
        return host_of(source) or "-"
    except ValueError:
        return "-"


def per_client() -> str:
    return str(current_app.config["RATE_LIMIT"])


def per_source() -> str:
    return str(current_app.config["RATE_LIMIT_SOURCE"])


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = bool(app.config["RATE_LIMIT_ENABLED"])
    app.config["RATELIMIT_KEY_PREFIX"] = f"{app.config['QUEUE']}-limits"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 2} if redis_url else {}
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True  # a Redis outage must not refuse pings
    limiter.init_app(app)
