"""Rate limits on the receiving endpoints: per client address and per source domain.

Flask-Limiter stores its counters in Redis when PINGSVC_REDIS_URL is set (shared by every web
process), in memory otherwise. Over the limit, a sender gets 429 with Retry-After; no other
answer carries Retry-After. Views limit per client (`limiter.limit(per_client)`); the limit
per source domain is one bucket shared by /webmention and /xmlrpc, so a site can't double
its allowance by switching protocol or spread a flood over many addresses.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, Response, current_app, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from werkzeug.exceptions import RequestEntityTooLarge

from pingsvc.errors import json_error
from pingsvc.urls import host_of, normalize_url

RECEIVING_PATHS = frozenset({"/webmention", "/xmlrpc"})


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


def source_of_request() -> str | None:
    """The source URL a webmention or pingback.ping names, or None (then only the per-client
    limit applies: a request without a readable source is refused anyway)."""
    if request.method != "POST" or request.path not in RECEIVING_PATHS:
        return None
    if request.path == "/webmention":
        try:
            return request.form.get("source") or None
        except RequestEntityTooLarge:
            return None  # the view answers 413; no source to count
    from pingsvc.pingback import parsed_request  # the view reads the same parsed call

    parsed = parsed_request()
    if isinstance(parsed, tuple) and parsed[0] == "pingback.ping" and parsed[1]:
        return parsed[1][0] if isinstance(parsed[1][0], str) else None
    return None


def source_domain() -> str:
    """The per-source limit key: the source's host in normal form (`Blog.Example.` and
    `blog.example` count together)."""
    source = source_of_request()
    try:
        return host_of(normalize_url(source or "", "source"))
    except Exception:  # noqa: BLE001 - not a URL: accept() answers 400; no source bucket
        return ""


def _no_source() -> bool:
    return not source_domain()


def per_client() -> str:
    return str(current_app.config["RATE_LIMIT"])


def per_source() -> str:
    return str(current_app.config["RATE_LIMIT_SOURCE"])


limiter = Limiter(
    key_func=client_key,
    headers_enabled=True,
    strategy="moving-window",
    application_limits=[
        ApplicationLimit(
            per_source, key_function=source_domain, scope="source", exempt_when=_no_source
        )
    ],
)


def too_many_requests(exc: RateLimitExceeded) -> Response:
    """429 as JSON; Flask-Limiter adds Retry-After (and X-RateLimit-*) after this."""
    by = "source domain" if exc.limit.key_func is source_domain else "address"
    return json_error(
        429,
        "rate_limited",
        f"Too many requests from this {by} (at most {exc.limit.limit}); "
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
