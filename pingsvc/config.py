"""Configuration: embedded defaults, then PINGSVC_* environment variables, then tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# name -> (default, parser). Every setting can be overridden as PINGSVC_<NAME>.
# Defaults that depend on other settings (paths under VAR_DIR) are filled in by `load`.


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _ints(value: str) -> list[int]:
    return [int(item) for item in _list(value)]


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("it must be a whole number of at least 1")
    return number


CHECKOUT = Path(__file__).resolve().parent.parent


def default_var_dir(checkout: Path = CHECKOUT) -> Path:
    """Where the embedded data lives when PINGSVC_VAR_DIR is unset, whatever the current
    folder: `var/` of the source checkout pingsvc runs from (where `make run` keeps it), or,
    for an installed package, the user's data folder ($XDG_DATA_HOME/pingsvc, by default
    ~/.local/share/pingsvc). A folder relative to the current one made a command run
    elsewhere create and use a database the server never read. (Two lines of the XDG rule,
    so no platformdirs dependency.)"""
    project = checkout / "pyproject.toml"
    if project.is_file() and 'name = "pingsvc"' in project.read_text(errors="replace"):
        return checkout / "var"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "pingsvc"


SETTINGS: dict[str, tuple[Any, Any]] = {
    # None: default_var_dir(). A relative PINGSVC_VAR_DIR is taken from the current folder.
    "VAR_DIR": (None, str),
    "DATABASE_URL": (None, str),
    "REDIS_URL": (None, str),
    "BASE_URL": ("http://127.0.0.1:8080", str),
    "SECRET_KEY": (None, str),
    # Outbound fetches of source pages.
    "FETCH_ALLOW": ([], _list),
    "FETCH_PORTS": ([80, 443], _ints),
    "FETCH_TIMEOUT": (10.0, float),
    "FETCH_MAX_BYTES": (1024 * 1024, int),
    "FETCH_MAX_REDIRECTS": (10, int),
    # Pages nested deeper than this are refused before parsing (parsers are not linear in it).
    "FETCH_MAX_DEPTH": (512, int),
    "USER_AGENT": (
        "pingsvc/0.1 (webmention and pingback receiver and sender; +https://github.com/pingsvc/pingsvc)",
        str,
    ),
    # The avatar archive (pingsvc.avatars): where author photos are kept, re-encoded
    # (empty: VAR_DIR/avatars).
    "AVATAR_DIR": (None, str),
    # Reading a fetched page (link check and extraction) runs in child processes, this many
    # per worker process, each page within this many seconds of CPU (see pingsvc.pipeline.sandbox).
    "PARSE_CPU_LIMIT": (1.0, float),
    "PARSE_CPU_PER_MIB": (10.0, float),
    "PARSE_PROCESSES": (2, _positive_int),
    # Extraction: a post's text longer than this many characters gets a summary cut at a word.
    "SUMMARY_LENGTH": (300, _positive_int),
    # Verification retries: tries in all, and the first backoff in seconds (doubles each try).
    "VERIFY_MAX_TRIES": (5, int),
    "VERIFY_BACKOFF": (3.0, float),
    # Seconds a running verification's claim holds unless its worker renews it (a heartbeat
    # every third of it): the sweeper re-sends a mention only once its lease has run out.
    "VERIFY_LEASE": (60.0, float),
    # Pending mentions whose queue message is older than this are enqueued again by the sweeper.
    "SWEEP_AFTER": (300, int),
    "SWEEP_INTERVAL": (60.0, float),
    # Shown mentions are verified again after this many days (0: never), this many an hour.
    "REVERIFY_AFTER_DAYS": (30.0, float),
    "REVERIFY_BATCH": (100, int),
    # Watched feeds (pingsvc feed add) are polled every this many seconds (0: never).
    "FEED_INTERVAL": (900.0, float),
    # Redis: seconds before a message taken by a worker that died is delivered again. Must
    # be longer than a verification plus its longest retry or deferral countdown (else it
    # runs twice).
    "BROKER_VISIBILITY_TIMEOUT": (3600, int),
    # How long POST /xmlrpc waits for the verdict before answering "queued".
    "PINGBACK_WAIT": (2.0, float),
    # Threads of each web server process (`pingsvc web --threads`, which sets it for the
    # server it starts): its database pool keeps at least that many connections open, so no
    # request thread opens and closes one (a PostgreSQL backend forked) per request.
    "WEB_THREADS": (8, int),
    # How many pings one web process holds waiting at once; more answer "queued" at once, so
    # pingbacks never hold every request thread (keep it below the web server's threads).
    "PINGBACK_WAITERS": (4, int),
    # Request limits.
    "MAX_REQUEST_BYTES": (64 * 1024, int),
    # A file uploaded on the dashboard's Import page (logged-in accounts only).
    "IMPORT_MAX_BYTES": (512 * 1024 * 1024, int),
    "RATE_LIMIT": ("60/minute;600/hour", str),
    # Per source domain: verifications beyond this rate wait their turn (never refused)...
    "RATE_LIMIT_SOURCE": ("30/minute", str),
    # ...and mentions beyond this cap are refused (429; fault 0 on /xmlrpc).
    "RATE_LIMIT_SOURCE_CAP": ("1000/hour", str),
    "RATE_LIMIT_ENABLED": (True, _bool),
    # Reverse proxies in front of pingsvc whose X-Forwarded-For is trusted for the client
    # address (0: use the socket peer; 1: one proxy such as nginx appends the real address).
    "TRUSTED_PROXIES": (0, int),
    # API caching.
    "API_MAX_AGE": (60, int),
    # How long a built API answer is kept (Redis, or in-process when embedded); 0 turns it off.
    "API_CACHE_TTL": (300, int),
    # Workers started by `pingsvc serve`: processes (0: one per core, at most 4; parsing pages
    # is CPU work, so one process uses one core), and threads in each.
    "WORKER_PROCESSES": (0, int),
    "WORKER_CONCURRENCY": (8, int),
    "WORKER_POOL": ("threads", str),
    "LOG_LEVEL": ("INFO", str),
    # Celery queue name (lets several installs, or test runs, share one Redis).
    "QUEUE": ("pingsvc", str),
    # Dashboard: login sessions and the login form's rate limit (per client address).
    "SESSION_DAYS": (14, int),
    "LOGIN_RATE_LIMIT": ("10/minute;50/hour", str),
    # Webhooks: per-call time limit, tries in all, first backoff in seconds (doubles each try).
    "WEBHOOK_TIMEOUT": (10.0, float),
    "WEBHOOK_MAX_TRIES": (8, int),
    "WEBHOOK_BACKOFF": (10.0, float),
    # Sending webmentions and pingbacks for our posts: tries in all for a delivery, the first
    # backoff in seconds (doubles each try; a 429's Retry-After is honoured up to
    # SEND_RETRY_AFTER_MAX), deliveries running at once per receiving host, whether links to
    # the post's own host are sent to, how long `pingsvc send --wait` waits, and how many
    # links of one post are sent to (more is refused: one request, thousands of POSTs).
    "SEND_MAX_TRIES": (6, _positive_int),
    "SEND_BACKOFF": (10.0, float),
    "SEND_RETRY_AFTER_MAX": (900.0, float),
    "SEND_PER_HOST": (3, _positive_int),
    "SEND_OWN_HOST": (False, _bool),
    "SEND_WAIT": (600.0, float),
    "SEND_MAX_TARGETS": (200, _positive_int),
    # E-mail notifications: off while SMTP_HOST is unset. SMTP_SECURITY: none, starttls, ssl.
    "SMTP_HOST": (None, str),
    "SMTP_PORT": (25, int),
    "SMTP_SECURITY": ("none", str),
    "SMTP_USERNAME": (None, str),
    "SMTP_PASSWORD": (None, str),
    "SMTP_FROM": ("pingsvc@localhost", str),
    "SMTP_TIMEOUT": (10.0, float),
}


def load(test_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings: code defaults, then PINGSVC_* environment, then `test_config`."""
    config: dict[str, Any] = {}
    for name, (default, parse) in SETTINGS.items():
        raw = os.environ.get(f"PINGSVC_{name}")
        if raw is not None and raw != "":
            try:
                config[name] = parse(raw)
            except ValueError as exc:
                raise SystemExit(f"PINGSVC_{name}={raw!r} is not valid: {exc}") from exc
        else:
            config[name] = list(default) if isinstance(default, list) else default
    if test_config:
        config.update(test_config)

    var_dir = Path(config["VAR_DIR"] or default_var_dir()).resolve()
    config["VAR_DIR"] = str(var_dir)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{var_dir / 'pingsvc.sqlite3'}"
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    return config


def ensure_secret_key(config: dict[str, Any]) -> str:
    """Use the configured key, or one generated on first start and kept under VAR_DIR."""
    if config.get("SECRET_KEY"):
        return str(config["SECRET_KEY"])
    path = Path(config["VAR_DIR"]) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
