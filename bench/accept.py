"""Accept: POST /webmention requests/s and latency under gunicorn with the production settings
(PostgreSQL + Redis: validation, upsert, commit, enqueue), against a bare Flask endpoint that
returns 202 on the same gunicorn settings, measured in the same run. Load from wrk."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BENCH,
    CpuMeter,
    arguments,
    check_redis,
    clear_queue,
    database,
    drop_database,
    machine,
    need,
    production_env,
    ratio,
    run_cli,
    start_web,
    verdict,
    workspace,
    wrk,
)

SCRIPT = BENCH / "lua" / "post_varying.lua"
TARGET_RATE = 1000.0
TARGET_SHARE = 0.5


# Where a request's CPU goes besides the web server (all of it on the same cores).
OTHERS = {"postgres": "postgres", "redis": "redis-server"}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = arguments(
        "POST /webmention throughput vs a bare Flask 202 endpoint",
        seconds=10.0,
        connections=32,
        workers=2,
        threads=8,
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="in process: CPU ms per accept (and the database's and Redis's)",
    )
    parser.add_argument("--profile", action="store_true", help="with --cpu: a cProfile too")
    parser.add_argument("--requests", type=int, default=3000, help="with --cpu: per round")
    args = parser.parse_args(argv)
    if args.cpu:
        return cpu(args)
    seconds = 3.0 if args.quick else args.seconds
    need("wrk")
    check_redis()
    print(f"accept: {machine()}")
    print(f"  gunicorn: {args.workers} workers x {args.threads} threads (gthread), wrk: "
          f"{args.connections} connections, {seconds:.0f} s per run")  # fmt: skip
    db_name = f"pingsvc_bench_accept_{uuid.uuid4().hex[:6]}"
    queue = f"pingsvc-bench-accept-{uuid.uuid4().hex[:6]}"
    with workspace("accept", args.keep) as (folder, children):
        env = production_env(folder, database(db_name, fresh=True), queue)
        try:
            run_cli(env, "site", "add", "blog.example")

            bare, bare_base = start_web(
                children, env, workers=args.workers, threads=args.threads,
                app="bench.bare_app:app", name="bare",
            )  # fmt: skip
            wrk(f"{bare_base}/webmention", seconds=1, connections=args.connections, script=SCRIPT)
            with CpuMeter({"web": [bare.pid]}, OTHERS) as bare_cpu:
                bare_result = wrk(
                    f"{bare_base}/webmention", seconds=seconds, connections=args.connections,
                    script=SCRIPT,
                )  # fmt: skip
            children.stop(bare)

            web, base = start_web(children, env, workers=args.workers, threads=args.threads)
            warm_env = {"BENCH_PREFIX": "warmup"}
            wrk(f"{base}/webmention", seconds=1, connections=args.connections, script=SCRIPT,
                env={**env, **warm_env})  # fmt: skip
            with CpuMeter({"web": [web.pid]}, OTHERS) as web_cpu:
                result = wrk(
                    f"{base}/webmention", seconds=seconds, connections=args.connections,
                    script=SCRIPT, env={**env, "BENCH_PREFIX": "measured"},
                )  # fmt: skip
            children.stop(web)
        finally:
            clear_queue(queue)
            drop_database(db_name)

    share = result.rate / bare_result.rate if bare_result.rate else 0.0
    print(f"  bare Flask 202:       {bare_result.line()}")
    print(f"    {bare_cpu.line(bare_result.requests, 'request')}")
    print(f"  pingsvc /webmention:  {result.line()}")
    print(f"    {web_cpu.line(result.requests, 'request')}")
    print(f"  ratio: {ratio(result.rate, bare_result.rate)} of the bare endpoint "
          f"(target >= {TARGET_SHARE:.0%}: {verdict(share >= TARGET_SHARE)}); "
          f"{result.rate:,.0f}/s (target >= {TARGET_RATE:,.0f}/s: "
          f"{verdict(result.rate >= TARGET_RATE)})")  # fmt: skip
    if result.non_2xx:
        print(f"  WARNING: {result.non_2xx} answers were not 2xx; see the web log (--keep)")
    return {
        "accept_rate": result.rate,
        "accept_p50_ms": result.p50_ms,
        "accept_p99_ms": result.p99_ms,
        "bare_rate": bare_result.rate,
        "bare_p99_ms": bare_result.p99_ms,
    }


def cpu(args: argparse.Namespace) -> dict[str, float]:
    """`--cpu`: the in-process measurement (bench/accept_cpu.py), best of 3 rounds."""
    from bench import accept_cpu

    check_redis()
    requests = 1000 if args.quick else args.requests
    print(f"accept --cpu: {machine()}")
    print(f"  {requests} POSTs per round, best of 3 rounds, through the app as a WSGI call")
    db_name = f"pingsvc_bench_accept_{uuid.uuid4().hex[:6]}"
    queue = f"pingsvc-bench-accept-{uuid.uuid4().hex[:6]}"
    with workspace("accept-cpu", args.keep) as (folder, _children):
        try:
            bare, result, report = accept_cpu.run(
                folder, database(db_name, fresh=True), queue, requests, 3, args.profile
            )
        finally:
            drop_database(db_name)
    print(f"  bare Flask 202:       {bare.line()}")
    print(f"  pingsvc /webmention:  {result.line()}  {result.statuses}")
    if report:
        print(report)
    return {"accept_cpu_ms": result.app_ms, "accept_postgres_ms": result.postgres_ms,
            "bare_cpu_ms": bare.app_ms}  # fmt: skip


if __name__ == "__main__":
    main()
