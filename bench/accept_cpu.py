"""Accept, in process: CPU milliseconds per POST /webmention through the real app (a WSGI call,
as gunicorn makes it) on PostgreSQL + Redis, with the PostgreSQL backends' and the Redis
server's CPU for the same requests, against the bare Flask 202 app through the same call.
CPU time is far steadier than wall-clock rates on a shared machine (`accept.py --cpu`)."""

from __future__ import annotations

import cProfile
import io
import logging
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import POSTGRES_ADMIN, REDIS_URL, clear_queue, production_env

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class CpuResult:
    app_ms: float  # this process's CPU per request
    postgres_ms: float  # the database's backends
    redis_ms: float  # the Redis server (every client of it: other runs share the server)
    statuses: dict[str, int]

    def line(self) -> str:
        return (
            f"{self.app_ms:.3f} ms app CPU, {self.postgres_ms:.3f} ms PostgreSQL, "
            f"{self.redis_ms:.3f} ms Redis per request"
        )


def _environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/webmention", "SCRIPT_NAME": "",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8080", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip


def _body(prefix: str, n: int) -> bytes:
    """The same form as lua/post_varying.lua: a new source per request, 100 targets."""
    return (
        f"source=https%3A%2F%2Fsrc{n % 997}.example%2F{prefix}%2F{n}"
        f"&target=https%3A%2F%2Fblog.example%2Fpost%2F{n % 100}"
    ).encode()


def _backend_cpu(admin: sa.Engine, database: str) -> float:
    """Seconds of CPU used so far by the PostgreSQL backends serving `database` (local
    server only: read from /proc)."""
    with admin.connect() as conn:
        pids = conn.scalars(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": database}
        ).all()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _redis_cpu(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def measure(
    app: WsgiApp,
    requests: int,
    rounds: int,
    database: str | None,
    profile: cProfile.Profile | None = None,
) -> CpuResult:
    """The best of `rounds` runs of `requests` POSTs (after a warm-up)."""
    import redis

    statuses: dict[str, int] = {}

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses[status] = statuses.get(status, 0) + 1

    def call(prefix: str, n: int) -> None:
        answer = app(_environ(_body(prefix, n)), start_response)
        for _chunk in answer:
            pass
        close = getattr(answer, "close", None)
        if close is not None:
            close()

    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    client = redis.Redis.from_url(REDIS_URL)
    run = uuid.uuid4().hex[:6]
    for n in range(min(300, requests)):
        call(f"warm-{run}", n)
    best: CpuResult | None = None
    for round_number in range(rounds):
        prefix = f"{run}-{round_number}"
        postgres = _backend_cpu(admin, database) if database else 0.0
        redis_before = _redis_cpu(client)
        started = time.process_time()
        if profile is not None:
            profile.enable()
        for n in range(requests):
            call(prefix, n)
        if profile is not None:
            profile.disable()
        app_s = time.process_time() - started
        redis_s = _redis_cpu(client) - redis_before
        postgres_s = (_backend_cpu(admin, database) - postgres) if database else 0.0
        result = CpuResult(
            app_s * 1000 / requests,
            postgres_s * 1000 / requests,
            redis_s * 1000 / requests,
            dict(statuses),
        )
        if best is None or result.app_ms < best.app_ms:
            best = result
    admin.dispose()
    client.close()
    assert best is not None
    return best


Pair = tuple[CpuResult, CpuResult]


def run(folder: Path, database_url: str, queue: str, requests: int, rounds: int,
        profile: bool, kombu_rounds: int = 0,
        ) -> tuple[CpuResult, CpuResult, str | None, list[Pair]]:  # fmt: skip
    """Measure the bare app, then pingsvc in this process with the production settings.
    Returns both results, with `profile` pingsvc's cProfile (CPU time, top 40), and with
    `kombu_rounds` that many pairs of rounds taking turns: the message pushed in one LPUSH
    (taskpush.RedisPush, as pingsvc sends it), then through kombu's producer."""
    from bench.bare_app import app as bare_app

    for name, value in production_env(folder, database_url, queue).items():
        if name.startswith("PINGSVC_"):
            os.environ[name] = value
    os.environ["PINGSVC_BASE_URL"] = "http://127.0.0.1:8080"

    from pingsvc import create_app, services
    from pingsvc.migrate import upgrade
    from pingsvc.models import Site

    app = create_app()
    upgrade(database_url)
    with services(app).db.session() as session:
        session.add(Site(host="blog.example"))
        session.commit()
    # The JSON lines still get formatted and written, to a file as gunicorn's would be.
    log_file = open(folder / "web.log", "w")  # noqa: SIM115 - closed below
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    try:
        bare = measure(bare_app, requests, rounds, None)
        profiler = cProfile.Profile(time.process_time) if profile else None
        database = sa.engine.make_url(database_url).database
        accept = measure(app, requests, rounds, database, profiler)
        pairs = [_push_against_kombu(app, requests, database) for _ in range(kombu_rounds)]
    finally:
        services(app).db.dispose()
        clear_queue(queue)
        log_file.close()
    report = None
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        report = out.getvalue()
    return bare, accept, report, pairs


def _push_against_kombu(app: Any, requests: int, database: str | None) -> Pair:
    """One round as pingsvc publishes (one LPUSH), then one through kombu's producer."""
    from pingsvc import tasking

    celery = app.extensions["celery"]
    push = tasking.redis_push(celery)
    assert push is not None, "the bench's broker is Redis: its messages are pushed directly"
    pushed = measure(app, requests, 1, database)
    setattr(celery, tasking._PUSH, None)  # the kombu path, as before taskpush
    try:
        through_kombu = measure(app, requests, 1, database)
    finally:
        setattr(celery, tasking._PUSH, push)
    return pushed, through_kombu
