"""Pingback waits: what a pingback.ping that waits for its verdict costs the web, and how many
the web holds while webmentions are accepted, today's poll of the row against the worker's
announcement (pingsvc/announcements.py), alternated in the same run on PostgreSQL + Redis.

1. In process, through the real app (WSGI calls from threads, as the web server makes them) with a
   real Celery worker and nginx: CPU ms of the web process and of the PostgreSQL backends,
   and database round trips (statements, BEGIN, COMMIT, ROLLBACK, counted at SQLAlchemy's
   events) per ping, for a verdict that comes after about a second (a page nginx sends at
   16 KB/s) and for one that never comes within the wait (no worker takes it).
2. `pingsvc web`'s granian (1 process x 8 threads, its default threads) and no worker:
   pingers each send a ping every PINGSVC_PINGBACK_WAIT seconds (none is verified in time, the
   worst case), while wrk POSTs webmentions; the webmentions' rate and p99 and the pings'
   answers, today's unbounded waits against PINGSVC_PINGBACK_WAITERS."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
import xmlrpc.client
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.accept_cpu import _backend_cpu, _environ  # noqa: E402
from bench.common import (  # noqa: E402
    BENCH,
    CACHE,
    POSTGRES_ADMIN,
    arguments,
    check_redis,
    clear_queue,
    database,
    drop_database,
    machine,
    production_env,
    start_nginx,
    start_web,
    start_workers,
    workspace,
    wrk,
)

WAIT = 2.0
PAGE = (
    "<!doctype html><html><head><title>A reply</title></head><body><article class=h-entry>"
    '<p class=e-content>As Bob wrote in <a href="https://blog.example/post/1">his post</a>.</p>'
    "{pad}</article></body></html>"
)


# Today's wait, as pingsvc/receive/pingback.py had it at 2cfb26a: the baseline.


def polling_wait(session: Any, watch: Any, deadline: float, accepted_at: datetime) -> Any:
    """Read the row every 50 ms, growing to 250 ms, until the verdict is in or the deadline."""
    from pingsvc.models import Mention
    from pingsvc.receive.pingback import POLL_FIRST, POLL_MAX, settled

    delay = POLL_FIRST
    while True:
        session.rollback()
        mention = session.get(Mention, watch.mention_id, populate_existing=True)
        remaining = deadline - time.monotonic()
        if settled(mention, accepted_at, remaining):
            return mention
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, POLL_MAX)


def use_polling(polling: bool) -> None:
    from pingsvc.receive import pingback

    original = getattr(use_polling, "original", None) or pingback.wait_for_verdict
    use_polling.original = original  # type: ignore[attr-defined]
    pingback.wait_for_verdict = polling_wait if polling else original  # type: ignore[assignment]


def polling_app() -> Any:
    """`pingsvc web`'s app with today's wait and no bound on waiting pings."""
    from pingsvc import create_app

    app = create_app({"PINGBACK_WAITERS": 10_000})
    use_polling(True)
    return app


def announced_app() -> Any:
    from pingsvc import create_app

    return create_app()


# 1. In process.


class RoundTrips:
    """Database round trips made through `engine`, counted at SQLAlchemy's events."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self._lock = threading.Lock()
        for name in ("before_cursor_execute", "begin", "commit", "rollback"):
            sa.event.listen(engine, name, self._one)

    def _one(self, *_: Any, **__: Any) -> None:
        with self._lock:
            self.count += 1


def ping_body(source: str) -> bytes:
    return xmlrpc.client.dumps((source, "https://blog.example/post/1"), "pingback.ping").encode()


def wsgi_ping(app: Any, source: str) -> str:
    body = ping_body(source)
    environ = _environ(body)
    environ.update(PATH_INFO="/xmlrpc", CONTENT_TYPE="text/xml")
    chunks = b"".join(app(environ, lambda *_: None))
    try:
        (result,), _ = xmlrpc.client.loads(chunks)
        return "verdict" if "registered" in result else "queued"
    except xmlrpc.client.Fault as fault:
        return f"fault {fault.faultCode}: {fault.faultString[:70]}"


def in_process(app: Any, sources: list[str], threads: int, db_name: str) -> dict[str, Any]:
    """Ping every source from `threads` threads; CPU and round trips per ping."""
    from pingsvc import services

    trips = getattr(app, "bench_trips", None) or RoundTrips(services(app).db.engine)
    app.bench_trips = trips
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    answers: dict[str, int] = {}
    lock = threading.Lock()
    todo = list(sources)

    def run() -> None:
        while True:
            with lock:
                if not todo:
                    return
                source = todo.pop()
            answer = wsgi_ping(app, source)
            with lock:
                answers[answer] = answers.get(answer, 0) + 1

    before_pg, before_trips = _backend_cpu(admin, db_name), trips.count
    started, wall = time.process_time(), time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    cpu, wall = time.process_time() - started, time.perf_counter() - wall
    pg = _backend_cpu(admin, db_name) - before_pg
    admin.dispose()
    n = len(sources)
    return {
        "cpu_ms": cpu * 1000 / n,
        "pg_ms": pg * 1000 / n,
        "trips": (trips.count - before_trips) / n,
        "seconds": wall,
        "answers": answers,
    }


def part_one(folder: Path, children: Any, nginx: str, pings: int, threads: int) -> None:
    run = uuid.uuid4().hex[:6]
    db_name, queue = f"pingsvc_bench_pbwait_{run}", f"pingsvc-bench-pbwait-{run}"
    allow = nginx.split("://", 1)[1]
    env = production_env(folder, database(db_name, fresh=True), queue, PINGSVC_FETCH_ALLOW=allow)
    env.update(PINGSVC_LOG_LEVEL="WARNING", PINGSVC_PINGBACK_WAITERS="10000")
    for name, value in env.items():
        if name.startswith("PINGSVC_"):
            os.environ[name] = value
    from pingsvc import create_app, services
    from pingsvc.migrate import upgrade
    from pingsvc.models import Site

    app = create_app()
    upgrade(env["PINGSVC_DATABASE_URL"])
    with services(app).db.session() as session:
        session.add(Site(host="blog.example"))
        session.commit()
    workers = start_workers(children, env, processes=1, pool="threads", concurrency=16)
    from pingsvc.announcements import verdicts

    with verdicts(app).watch(0):  # the listener subscribes before the first measured ping
        pass
    try:
        wsgi_ping(app, f"{nginx}/m/{run}-warm/p1.html")  # warm up: the first verdict
        for case, path in (("verdict after ~1 s", "slow"), ("no verdict within the wait", None)):
            if path is None:
                children.stop(workers[0])  # nobody verifies: every ping waits the whole wait
            results: dict[str, list[dict[str, Any]]] = {"poll (today)": [], "announced": []}
            for round_number in range(2):
                for mode in results:
                    use_polling(mode == "poll (today)")
                    prefix = f"{run}-{round_number}-{'p' if mode.startswith('poll') else 'a'}"
                    sources = [
                        f"{nginx}/{path or 'm'}/{prefix}-{n}/p1.html" for n in range(pings)
                    ]
                    results[mode].append(in_process(app, sources, threads, db_name))
            print(f"  in process, {pings} pings from {threads} threads, {case}:")
            base = min(results["poll (today)"], key=lambda r: r["cpu_ms"])
            for mode, runs in results.items():
                best = min(runs, key=lambda r: r["cpu_ms"])
                print(
                    f"    {mode:13} {best['cpu_ms']:6.2f} ms web CPU, {best['pg_ms']:5.2f} ms "
                    f"PostgreSQL CPU (web and worker), {best['trips']:5.1f} round trips a ping "
                    f"({best['cpu_ms'] / base['cpu_ms']:.2f}x CPU, "
                    f"{best['trips'] / base['trips']:.2f}x trips); answers {best['answers']}"
                )
        announcing(app, 2000)
    finally:
        use_polling(False)
        services(app).db.dispose()
        for child in workers:
            children.stop(child)
        clear_queue(queue)
        drop_database(db_name)


def announcing(app: Any, count: int) -> None:
    """The worker's side: CPU of one announcement (a PUBLISH) and of hearing it (the web's
    listener thread, subscribed in this same process), per verification."""
    from pingsvc.announcements import announce, verdicts

    config = app.config
    listener = verdicts(app)
    base = 10_000_000
    started = time.process_time()
    for n in range(count):
        announce(config["REDIS_URL"], config["QUEUE"], base + n)
    published = time.process_time() - started
    deadline = time.monotonic() + 10
    while not listener.heard(base + count - 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    both = time.process_time() - started
    print(
        f"  announcing a verification's end: {both * 1e6 / count:.0f} us CPU to publish it and "
        f"hear it (the worker's PUBLISH and one web process's listener, both in this process; "
        f"the publishing loop alone {published * 1e6 / count:.0f} us), {count} announcements"
    )


# 2. granian, webmentions under wrk beside waiting pings.


def pinger(base: str, prefix: str, stop: threading.Event, out: list[tuple[str, float]]) -> None:
    """Send a ping every WAIT seconds (a new source each), as long as `stop` is not set."""
    session = requests.Session()
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        response = session.post(f"{base}/xmlrpc", data=ping_body(f"{prefix}-{n}"), timeout=30)
        took = time.perf_counter() - started
        text = response.text
        out.append(("verdict" if "registered" in text else "queued", took))
        n += 1
        stop.wait(max(0.0, WAIT - took))


def part_two(folder: Path, children: Any, pingers: int, seconds: float) -> None:
    run = uuid.uuid4().hex[:6]
    print(
        f"  granian 1 x 8 threads, no worker; {pingers} pingers (a ping every {WAIT:.0f} s "
        f"each) beside wrk -c 4 POST /webmention for {seconds:.0f} s:"
    )
    lines: dict[str, list[str]] = {"no pings": [], "poll (today)": [], "announced": []}
    modes = (
        ("no pings", "announced_app", 0),
        ("poll (today)", "polling_app", pingers),
        ("announced", "announced_app", pingers),
    )
    for round_number in range(2):
        for mode, factory, count in modes:
            db_name = f"pingsvc_bench_pbweb_{run}_{round_number}_{factory[0]}{count}"
            queue = f"pingsvc-bench-pbweb-{run}-{round_number}-{factory[0]}{count}"
            env = production_env(folder, database(db_name, fresh=True), queue)
            env["PINGSVC_LOG_LEVEL"] = "WARNING"
            try:
                from bench.common import run_cli

                run_cli(env, "site", "add", "blog.example")
                web, base = start_web(
                    children, env, workers=1, threads=8,
                    app=f"bench.pingback_wait:{factory}()", name=f"web-{factory}",
                )  # fmt: skip
                stop, answers = threading.Event(), []  # type: ignore[var-annotated]
                threads = [
                    threading.Thread(
                        target=pinger,
                        args=(base, f"http://127.0.0.1:9/{run}/{round_number}/{i}", stop, answers),
                    )
                    for i in range(count)
                ]
                for thread in threads:
                    thread.start()
                time.sleep(WAIT if count else 0)  # the pings are waiting
                result = wrk(
                    f"{base}/webmention", seconds=seconds, connections=4,
                    script=BENCH / "lua" / "post_varying.lua",
                    env={**os.environ, "BENCH_PREFIX": f"{run}-{round_number}-{factory}"},
                )  # fmt: skip
                stop.set()
                for thread in threads:
                    thread.join()
                waited = [took for kind, took in answers if took >= WAIT * 0.9]
                lines[mode].append(
                    f"webmentions {result.line()}; {len(answers)} pings, {len(waited)} waited "
                    f"the whole {WAIT:.0f} s, the others answered \"queued\" at once"
                )
                children.stop(web)
            finally:
                clear_queue(queue)
                drop_database(db_name)
    for mode, texts in lines.items():
        for text in texts:
            print(f"    {mode:13} {text}")


def main(argv: list[str] | None = None) -> None:
    parser = arguments("what waiting pingbacks cost the web, polling vs announced",
                       pings=32, threads=8, pingers=16, seconds=8.0)  # fmt: skip
    args = parser.parse_args(argv)
    pings = min(args.pings, 16) if args.quick else args.pings
    seconds = 4.0 if args.quick else args.seconds
    check_redis()
    print(f"pingback_wait: {machine()}")
    with workspace("pingback-wait", args.keep) as (folder, children):
        pages = CACHE / "pingback-wait"  # readable by nginx's worker (the workspace is not)
        pages.mkdir(parents=True, exist_ok=True)
        (pages / "p1.html").write_text(PAGE.format(pad="<p>" + "x" * 16_000 + "</p>"))
        nginx = start_nginx(children, pages)
        part_one(folder, children, nginx, pings, args.threads)
        part_two(folder, children, args.pingers, seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
