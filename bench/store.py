"""Store: what storing one verdict costs, in process: statements, worker CPU ms and
PostgreSQL backend CPU ms per mention through steps.process_mention, with the source
pages already fetched and parsed (the parsing is measured by verify.py --profile). Runs N
new mentions of generated pages, then the same N sent again unchanged (the re-verification
path). Counts statements, so a busy machine moves the CPU figures but never the counts.
--tasks: Celery's own CPU per task, a real worker (threads pool, Redis) draining N verify
messages for mentions with nothing left to do, against the task's body run in process;
--tasks --acks: the same with the verify task acknowledged late (the setting) against early,
alternated three times (early first in the second round), with Redis's commands a task;
--tasks --batches: one id a task against several, batched where the worker consumes them
(celery-batches, not a dependency of pingsvc: pip install it to run this).
--pages heavy: the pages fetched from loopback and read in the sandbox children as a
worker does (comment-heavy WordPress posts, bench/pages.py); the children's CPU is counted
apart, and with --profile the worker's CPU is split by component."""

from __future__ import annotations

import cProfile
import importlib.util
import os
import pstats
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.common import (  # noqa: E402
    POSTGRES_ADMIN,
    REDIS_URL,
    CpuMeter,
    arguments,
    check_redis,
    clear_queue,
    database,
    drop_database,
    machine,
    production_env,
    wait_until,
    worker_command,
    workspace,
)
from bench.pages import heavy_page, page, target  # noqa: E402
from pingsvc import create_app, services, tasking  # noqa: E402
from pingsvc.extract.entry import MentionData  # noqa: E402
from pingsvc.migrate import upgrade  # noqa: E402
from pingsvc.models import Site  # noqa: E402
from pingsvc.pipeline import sandbox, steps  # noqa: E402
from pingsvc.receive.accept import accept  # noqa: E402
from tests.support.pageserver import PageServer  # noqa: E402


def _backend_cpu(admin: sa.Engine, database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving `database` (same host)."""
    with admin.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": database}
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / 100  # utime + stime, clock ticks
    return total


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds used so far by this process's sandbox children (pipeline.sandbox)."""
    return sum(
        _proc_cpu(child.process.pid) for found in sandbox._pools.values() for child in found._idle
    )


# Where the worker's CPU goes, by the function that holds it (cProfile's cumulative time of
# the outermost call of each; the same call counted once however deep it recurs).
COMPONENTS = {
    "claim (store.claim)": "claim",
    "lease (lease.held)": "held",
    "fetch (fetch.client.fetch)": "fetch",
    "sandbox hand-off (Pool.run)": "run",
    "author page (author_pages.author_of)": "author_of",
    "vouch (steps._vouch)": "_vouch",
    "avatar (steps.archive_avatar)": "archive_avatar",
    "spam (spamcheck.evaluate)": "evaluate",
    "store verdict (store.store)": "store",
    "logging (Logger._log)": "_log",
}


TIMED = [  # (module, attribute, label): each wrapped with a CPU timer by --split
    ("pingsvc.pipeline.store", "claim", "claim"),
    ("pingsvc.pipeline.steps", "fetch", "fetch"),
    ("pingsvc.pipeline.sandbox:Pool", "run", "sandbox hand-off (parent side)"),
    ("pingsvc.pipeline.author_pages", "author_of", "author page"),
    ("pingsvc.pipeline.steps", "archive_avatar", "avatar"),
    ("pingsvc.pipeline.store", "store", "store verdict, all"),
    ("pingsvc.pipeline.spamcheck", "evaluate", "  of which spam"),
    ("pingsvc.pipeline.relations", "relate", "  of which relations"),
    ("pingsvc.changelog", "record", "  of which change feed"),
    ("pingsvc.pipeline.store", "content_hash", "  of which content hash"),
]


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """CPU seconds of this thread spent in each TIMED function (nested calls counted in
    both), with the wrapping's own cost negligible against cProfile's."""
    import importlib

    spent: dict[str, float] = Counter()
    saved = []
    for where, name, label in TIMED:
        module, _, cls = where.partition(":")
        owner = importlib.import_module(module)
        owner = getattr(owner, cls) if cls else owner
        original = getattr(owner, name)

        def wrapper(*a: Any, _f: Any = original, _l: str = label, **k: Any) -> Any:
            started = time.thread_time()
            try:
                return _f(*a, **k)
            finally:
                spent[_l] += time.thread_time() - started

        saved.append((owner, name, original))
        setattr(owner, name, wrapper)
    try:
        yield spent
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def split(profiler: cProfile.Profile, count: int) -> str:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    lines = []
    for label, name in COMPONENTS.items():
        total = sum(v[3] for (f, _l, n), v in stats.items() if n == name and "pingsvc" in f
                    or n == name and name == "_log")  # fmt: skip
        lines.append(f"  {label}: {total * 1000 / count:.2f} ms")
    return "\n".join(lines)


@contextmanager
def counting(engine: sa.Engine) -> Iterator[Counter[str]]:
    """Count the round trips `engine` makes: statements by their first word (SELECT,
    UPDATE, ...), transactions begun and committed, and the pool's pre-ping per checkout
    (psycopg sends BEGIN on its own before a transaction's first statement)."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen[statement.split(None, 1)[0].upper()] += 1

    def begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            seen["BEGIN"] += 1

    def commit(_conn: Any) -> None:
        seen["COMMIT"] += 1

    def checkout(*_: Any) -> None:
        if engine.pool._pre_ping:  # type: ignore[attr-defined]
            seen["ping"] += 1

    listeners = [
        (engine, "before_cursor_execute", count),
        (engine, "begin", begin),
        (engine, "commit", commit),
        (engine.pool, "checkout", checkout),
    ]
    for target_, name, listener in listeners:
        sa.event.listen(target_, name, listener)
    try:
        yield seen
    finally:
        for target_, name, listener in listeners:
            sa.event.remove(target_, name, listener)


def measure(shared: Any, ids: list[int], profile: bool, pg_cpu: Any, by_part: bool = False) -> str:
    """Verify `ids` one after another; one line of figures per mention."""
    count = len(ids)
    if by_part:
        with timed() as spent:
            line = measure(shared, ids, profile, pg_cpu)
        parts = "; ".join(f"{k} {v * 1000 / count:.2f}" for k, v in spent.items())
        return f"{line}\n  worker CPU ms a mention by part: {parts}"
    before = pg_cpu()
    child_before = children_cpu()
    profiler = cProfile.Profile(time.thread_time) if profile else None
    with counting(shared.db.engine) as seen:
        # This thread's CPU only: the page server's threads share the process.
        started = time.thread_time()
        if profiler:
            profiler.enable()
        outcomes = [steps.process_mention(shared.db, i, shared.pipeline) for i in ids]
        cpu = time.thread_time() - started
        if profiler:
            profiler.disable()
    child = children_cpu() - child_before
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        print(split(profiler, count))
    pg = pg_cpu() - before
    statuses = Counter(o.status if o else None for o in outcomes)
    kinds = ", ".join(f"{k} {v / count:.2f}" for k, v in sorted(seen.items()))
    return (
        f"{sum(seen.values()) / count:.2f} round trips per mention ({kinds}); worker CPU "
        f"{cpu * 1000 / count:.2f} ms, sandbox children {child * 1000 / count:.2f} ms, "
        f"PostgreSQL CPU {pg * 1000 / count:.2f} ms per mention; "
        f"verdicts {dict(statuses)}"
    )


PREFETCH = {"prefetch 4 (the setting)": [], "prefetch 1": ["--prefetch-multiplier", "1"],
            "prefetch 16": ["--prefetch-multiplier", "16"]}  # fmt: skip
# --acks: the worker as it is against one whose verify task acknowledges early (its message
# acked as the task starts, not after it returns): the same worker with the task's acks_late
# turned off before it starts.
ACKS = {"acks_late (the setting)": False, "acks early": True}
_EARLY = (
    "import sys; import worker.tasks; from worker.celery_app import app; "
    "from pingsvc.tasking import VERIFY_TASK; "
    "app.tasks[VERIFY_TASK].acks_late = False; app.worker_main(sys.argv[1:])"
)
# --batches: several queued ids a task, taken where the worker consumes them (issue #20's
# "several queued mention ids per task when the queue is deep"): celery-batches buffers the
# delivered messages and runs the task once for up to N of them (or every 10 ms), here a
# scratch task that runs the verify task's body for each. Not pingsvc's code (see
# bench/README.md, "Several mention ids a task"); the batch's size is its first argument.
BATCH_TASK = "bench.verify_batch"
BATCHES = {"verify, one id a task (the setting)": 0, "batches of 4": 4, "batches of 16": 16}
_BATCHED = (
    "import logging, sys; import worker.tasks; from celery_batches import Batches; "
    "from pingsvc.db import services; from pingsvc.pipeline import steps; "
    "from worker.celery_app import app, flask_app\n"
    "class Batch(Batches):\n"
    "    flush_every = int(sys.argv.pop(1)); flush_interval = 0.01\n"
    f"@app.task(base=Batch, name={BATCH_TASK!r}, acks_late=True)\n"
    "def verify_batch(requests):\n"
    "    with flask_app.app_context():\n"
    "        shared = services()\n"
    "        for request in requests:\n"
    "            steps.process_mention(shared.db, request.args[0], shared.pipeline)\n"
    "    logging.getLogger('bench').warning('bench batch of %d done', len(requests))\n"
    "app.worker_main(sys.argv[1:])"
)


def _redis_calls() -> Counter[str]:
    """Redis's count of each command so far (the whole server's: exact on a Redis of the
    bench's own, PINGSVC_BENCH_REDIS)."""
    import redis

    stats = redis.Redis.from_url(REDIS_URL).info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


def _worker(host: str, options: list[str], early: bool, batch: int) -> list[str]:
    command = worker_command("threads", 32, host) + options
    if early:  # [python, -m, celery, -A, worker.celery_app, worker, ...]
        return [command[0], "-c", _EARLY, *command[5:]]
    if batch:  # a window of a batch (at least 4) for each of the 32 threads
        return [command[0], "-c", _BATCHED, str(batch), *command[5:],
                "--prefetch-multiplier", str(max(4, batch))]  # fmt: skip
    return command


def _done(output: str, batch: int) -> int:
    """How many messages the worker has run, by its log lines."""
    if batch:
        return sum(int(n) for n in re.findall(r"bench batch of (\d+) done", output))
    return output.count(" succeeded in ")


def _variants(mode: str, round_: int) -> list[tuple[str, list[str], bool, int]]:
    """(label, worker options, acks early, batch size) of each worker a round runs."""
    if mode == "acks":
        order: list[tuple[str, list[str], bool, int]] = [
            (label, [], early, 0) for label, early in ACKS.items()
        ]
        return order[::-1] if round_ % 2 else order  # early first every other round
    if mode == "batches":  # each worker first in turn: no round's first run is always one
        variants = [(label, [], False, size) for label, size in BATCHES.items()]
        shift = round_ % len(variants)
        return variants[shift:] + variants[:shift]
    return [(label, options, False, 0) for label, options in PREFETCH.items()]


def tasks(url: str, ids: list[int], shared: Any, pg_cpu: Any, mode: str = "prefetch") -> None:
    """Celery's own CPU per task: `ids` (verified, so a task claims nothing and returns) sent
    as verify messages while the worker consumes another queue, then drained once it is told
    to consume theirs; each variant of `mode` (prefetch settings; ack modes; one id a task
    against batches) twice or three times, in turn. The baseline: the task's body
    (process_mention) on the same ids in process."""
    check_redis()
    if mode == "batches" and importlib.util.find_spec("celery_batches") is None:
        raise SystemExit("--batches needs celery-batches: .venv/bin/pip install celery-batches")
    started = time.process_time()
    for mention_id in ids:
        steps.process_mention(shared.db, mention_id, shared.pipeline)
    body = (time.process_time() - started) * 1000 / len(ids)
    print(f"tasks: the body in process {body:.2f} ms of CPU a task (claims nothing, 2 statements)")
    with workspace("store-tasks", False) as (folder, children):
        for round_ in range(2 if mode == "prefetch" else 3):
            for label, options, early, batch in _variants(mode, round_):
                queue = f"pingsvc-bench-tasks-{uuid.uuid4().hex[:6]}"
                host = f"tasks{uuid.uuid4().hex[:6]}"
                command = _worker(host, [*options, "-Q", f"{queue}-idle"], early, batch)
                worker = children.start(host, command, production_env(folder, url, queue))
                try:
                    if not wait_until(lambda w=worker: "ready." in w.output(), 60, 0.2):
                        raise SystemExit(f"the worker did not start:\n{worker.output()[-3000:]}")
                    app = create_app({"DATABASE_URL": url, "REDIS_URL": REDIS_URL,
                                      "QUEUE": queue, "VAR_DIR": str(folder / "var")})  # fmt: skip
                    celery = app.extensions["celery"]
                    name = BATCH_TASK if batch else tasking.VERIFY_TASK
                    with app.app_context():
                        for mention_id in ids:
                            tasking.publish(celery, name, mention_id)
                    pg = pg_cpu()
                    calls = _redis_calls()
                    with CpuMeter({"worker": [worker.pid]}, {"redis": "redis-server"}) as cpu:
                        wall = time.perf_counter()
                        celery.control.add_consumer(
                            queue, destination=[f"{host}@{os.uname().nodename}"]
                        )
                        done = lambda w=worker, b=batch: _done(w.output(), b) >= len(ids)  # noqa: E731
                        if not wait_until(done, 300, 0.05):
                            raise SystemExit(
                                f"the worker did not finish:\n{worker.output()[-3000:]}"
                            )
                        wall = time.perf_counter() - wall
                    pg = (pg_cpu() - pg) * 1000 / len(ids)
                    calls = _redis_calls() - calls
                    print(f"  round {round_ + 1}, {label}: {cpu.line(len(ids), 'task')}, "
                          f"PostgreSQL {pg:.2f}; {len(ids) / wall:.0f} tasks/s")  # fmt: skip
                    if mode != "prefetch":
                        print(f"    Redis a task: {calls['multi'] / len(ids):.2f} MULTI, "
                              f"{calls.total() / len(ids):.1f} commands")  # fmt: skip
                finally:
                    children.stop(worker)
                    clear_queue(queue)
                    clear_queue(f"{queue}-idle")


def main() -> None:
    parser = arguments(__doc__ or "", mentions=400)
    parser.add_argument("--sqlite", action="store_true", help="the embedded database instead")
    parser.add_argument("--profile", action="store_true", help="cProfile each round")
    parser.add_argument("--split", action="store_true", help="worker CPU by part, timed")
    parser.add_argument("--tasks", action="store_true", help="then Celery's own CPU per task")
    compared = parser.add_mutually_exclusive_group()
    compared.add_argument(
        "--acks", action="store_true", help="with --tasks: acks_late against acks early"
    )
    compared.add_argument(
        "--batches", action="store_true",
        help="with --tasks: one id a task against celery-batches' batches of 4 and 16",
    )  # fmt: skip
    parser.add_argument(
        "--pages", choices=["parsed", "heavy"], default="parsed",
        help="parsed: read beforehand; heavy: comment threads, fetched and read as a worker does",
    )  # fmt: skip
    args = parser.parse_args()
    count = 100 if args.quick else args.mentions
    server = PageServer().start()
    name = f"pingsvc_bench_store_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    url = f"sqlite:////tmp/{name}.db" if args.sqlite else database(name, fresh=True)
    real_inspect = steps.inspect
    try:
        app = create_app(
            {"DATABASE_URL": url, "FETCH_ALLOW": [server.hostport], "LOG_LEVEL": "WARNING",
             "VAR_DIR": f"/tmp/{name}"}
        )  # fmt: skip
        upgrade(url)
        shared = services(app)
        with shared.db.session() as session:
            session.add(Site(host="blog.example"))
            session.commit()
        make = heavy_page if args.pages == "heavy" else page
        sources = [server.add(f"/m/{i}/p{i}.html", make(i, target(i))) for i in range(count)]
        if args.pages == "parsed":
            parsed: dict[str, MentionData] = {
                source: real_inspect(source, target(i), shared.pipeline)
                for i, source in enumerate(sources)
            }
            steps.inspect = lambda source, _target, _settings, **_: parsed[source]  # type: ignore[assignment]
        else:  # warm the children and the fetch session up on other pages
            for i in range(count, count + 4):
                real_inspect(
                    server.add(f"/w/p{i}.html", make(i, target(i))), target(i), shared.pipeline
                )
        print(machine())
        how = (
            "pages parsed beforehand" if args.pages == "parsed" else "heavy pages fetched and read"
        )
        print(f"{count} mentions on {shared.db.dialect}, {how}")
        for round_name in ("new", "unchanged re-send"):
            ids = [
                accept(shared.db, source, target(i), "webmention", lambda _id: None).mention_id
                for i, source in enumerate(sources)
            ]
            pg_cpu = (lambda: 0.0) if args.sqlite else (lambda: _backend_cpu(admin, name))
            print(f"{round_name}: {measure(shared, ids, args.profile, pg_cpu, args.split)}")
        if args.tasks and not args.sqlite:
            mode = "acks" if args.acks else "batches" if args.batches else "prefetch"
            tasks(url, ids * (2000 // len(ids) + 1), shared, pg_cpu, mode)
        shared.db.dispose()
    finally:
        steps.inspect = real_inspect  # type: ignore[assignment]
        server.stop()
        if not args.sqlite:
            drop_database(name)
        admin.dispose()


if __name__ == "__main__":
    main()
