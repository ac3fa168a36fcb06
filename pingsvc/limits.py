"""Rate limits on the receiving endpoints: per client address (Flask-Limiter) and per source
domain (pingsvc.receive.pacing, bound here to the app).

Flask-Limiter stores its counters in Redis when PINGSVC_REDIS_URL is set (shared by every web
process), in memory otherwise. Over the per-client limit, a sender gets 429 with Retry-After;
no other answer carries Retry-After but the source domain's cap. Views limit per client
(`limiter.limit(per_client)`). The source domain's pace and cap are applied by
receive.accept() to each mention, whichever endpoint or system.multicall brought it, so a
site can't double its allowance by switching protocol or batching its calls, nor spread a
flood over many addresses.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded

from pingsvc.http_errors import json_error
from pingsvc.receive.pacing import Pacing


def client_address() -> str:
    """The sender's address: the socket peer, or the address the trusted proxies in front of
    pingsvc saw (PINGSVC_TRUSTED_PROXIES hops of X-Forwarded-For, counted from the right)."""
    hops = int(current_app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "-"


def client_key() -> str:
    """The per-client limit key. IPv6 senders are counted per /64, the block one host gets,
    so a flood can't rotate through the addresses of its own network."""
    address = client_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def per_client() -> str:
    return str(current_app.config["RATE_LIMIT"])


limiter = Limiter(key_func=client_key, headers_enabled=True, strategy="moving-window")


def pacing() -> Pacing | None:
    """The app's per-source-domain pace and cap; None while rate limiting is off."""
    return current_app.extensions.get("pacing")  # type: ignore[no-any-return]


def too_many_requests(exc: RateLimitExceeded) -> Response:
    """429 as JSON; Flask-Limiter adds Retry-After (and X-RateLimit-*) after this."""
    return json_error(
        429,
        "rate_limited",
        f"Too many requests from this address (at most {exc.limit.limit}); "
        "wait the number of seconds in Retry-After, then send again.",
    )


def _retry_after_only_on_429(response: Response) -> Response:
    # Flask-Limiter sets Retry-After on every limited answer; it means "wait before retrying"
    # (RFC 9110), so only a 429 or 503 may carry it.
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    elif response.status_code == 429:
        value = response.headers.get("Retry-After", "")
        if not value.isdigit() or int(value) < 1:
            response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = bool(app.config["RATE_LIMIT_ENABLED"])
    app.config["RATELIMIT_KEY_PREFIX"] = f"{app.config['QUEUE']}-limits"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 2} if redis_url else {}
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True  # a Redis outage must not refuse pings
    app.after_request(_retry_after_only_on_429)  # registered first, so it runs last
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    limiter.init_app(app)
    if app.config["RATE_LIMIT_ENABLED"]:
        try:
            app.extensions["pacing"] = Pacing.from_config(app.config)
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
