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
    Children,
    CpuMeter,
    Server,
    WrkResult,
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
# Issue #20's target: 1,000 accepts a second on 2 cores, the cores busy (no more than 5% of
# the machine idle; the share of the bare endpoint was dropped: it is printed as the baseline).
TARGET_RATE = 1000.0
TARGET_IDLE = 0.05


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
    parser.add_argument(
        "--kombu-rounds",
        type=int,
        default=0,
        metavar="N",
        help="with --cpu: N more pairs of rounds, the message pushed in one LPUSH as pingsvc "
        "sends it against kombu's producer, taking turns",
    )
    parser.add_argument(
        "--server",
        action="append",
        metavar="KIND[:WxT[:BACKPRESSURE]]",
        help="a web server to measure (repeatable; the first is the baseline): granian "
        "(`pingsvc web`'s command) or gunicorn (gthread, as pingsvc ran it before), e.g. "
        "gunicorn:2x4, granian:2x8:16; default: `pingsvc web`'s own, --workers x --threads",
    )
    parser.add_argument("--rounds", type=int, default=1, help="each server measured N times")
    args = parser.parse_args(argv)
    if args.cpu:
        return cpu(args)
    seconds = 3.0 if args.quick else args.seconds
    need("wrk")
    check_redis()
    servers = [Server.parse(s, args.workers, args.threads) for s in args.server or []]
    if not servers:
        servers = [web_server(args.workers, args.threads)]
    print(f"accept: {machine()}")
    print(f"  wrk: {args.connections} connections, {seconds:.0f} s per run, "
          f"{args.rounds} round(s) of each server in turn")  # fmt: skip
    db_name = f"pingsvc_bench_accept_{uuid.uuid4().hex[:6]}"
    queue = f"pingsvc-bench-accept-{uuid.uuid4().hex[:6]}"
    rows: list[tuple[Server, str, WrkResult, CpuMeter, float]] = []
    with workspace("accept", args.keep) as (folder, children):
        env = production_env(folder, database(db_name, fresh=True), queue)
        try:
            run_cli(env, "site", "add", "blog.example")
            for round_ in range(args.rounds):
                for index, server in enumerate(servers):
                    tag = f"r{round_}s{index}"
                    for app, name in (("bench.bare_app:app", "bare"), (None, "web")):
                        rows.append((server, name, *_measure(
                            children, env, server, app, name, tag, seconds, args.connections
                        )))  # fmt: skip
        finally:
            clear_queue(queue)
            drop_database(db_name)

    figures: dict[str, float] = {}
    for index, server in enumerate(servers):
        bare = [(r, m, i) for s, n, r, m, i in rows if s is server and n == "bare"]
        web = [(r, m, i) for s, n, r, m, i in rows if s is server and n == "web"]
        print(f"  {server.label()}{' (baseline)' if index == 0 and len(servers) > 1 else ''}:")
        for (bare_result, bare_cpu, bare_idle), (result, web_cpu, idle) in zip(
            bare, web, strict=True
        ):
            print(f"    bare Flask 202:       {bare_result.line()}")
            print(f"      {bare_cpu.line(bare_result.requests, 'request')}; "
                  f"machine {bare_idle:.0%} idle")  # fmt: skip
            print(f"    pingsvc /webmention:  {result.line()}")
            print(f"      {web_cpu.line(result.requests, 'request')}; "
                  f"machine {idle:.0%} idle")  # fmt: skip
            if result.non_2xx or bare_result.non_2xx:
                print(f"    WARNING: {result.non_2xx + bare_result.non_2xx} answers were not "
                      "2xx; see the web log (--keep)")  # fmt: skip
        best, _cpu, best_idle = max(web, key=lambda row: row[0].rate)
        best_bare = max((r for r, _, _ in bare), key=lambda r: r.rate)
        line = f"    best: {target_line(best.rate, best_idle)}; " + (
            f"{ratio(best.rate, best_bare.rate)} the bare endpoint's rate"
        )
        if index and rows:
            first = max(
                (r for s, n, r, _, _ in rows if s is servers[0] and n == "web"),
                key=lambda r: r.rate,
            )
            line += f"; {ratio(best.rate, first.rate)} the baseline's accept rate"
        print(line)
        if index == 0:
            figures.update(
                accept_rate=best.rate, accept_p50_ms=best.p50_ms, accept_p99_ms=best.p99_ms,
                bare_rate=best_bare.rate, bare_p99_ms=best_bare.p99_ms,
            )  # fmt: skip
    return figures


def target_line(rate: float, idle: float) -> str:
    """An accept run against issue #20's target: the rate, with the cores busy."""
    return (
        f"{rate:,.0f}/s (target >= {TARGET_RATE:,.0f}/s: {verdict(rate >= TARGET_RATE)}), "
        f"machine {idle:.0%} idle (target <= {TARGET_IDLE:.0%}: {verdict(idle <= TARGET_IDLE)})"
    )


def web_server(workers: int, threads: int) -> Server:
    """`pingsvc web`'s server at this size."""
    return Server("granian", workers, threads)


def _cpu_times() -> tuple[float, float]:
    """The machine's idle and total jiffies so far (/proc/stat's first line)."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)


def _measure(
    children: Children,
    env: dict[str, str],
    server: Server,
    app: str | None,
    name: str,
    tag: str,
    seconds: float,
    connections: int,
) -> tuple[WrkResult, CpuMeter, float]:
    """One server with one app: a 1 s warm-up, then `seconds` under wrk with CPU metered."""
    kwargs = {"app": app} if app else {}
    child, base = start_web(
        children, env, workers=server.workers, threads=server.threads, name=f"{name}-{tag}",
        server=server, **kwargs,
    )  # fmt: skip
    try:
        url = f"{base}/webmention"
        wrk(url, seconds=1, connections=connections, script=SCRIPT,
            env={**env, "BENCH_PREFIX": f"warm{tag}"})  # fmt: skip
        idle_before, total_before = _cpu_times()
        with CpuMeter({"web": [child.pid]}, OTHERS) as meter:
            result = wrk(url, seconds=seconds, connections=connections, script=SCRIPT,
                         env={**env, "BENCH_PREFIX": f"measured{tag}"})  # fmt: skip
        idle_after, total_after = _cpu_times()
    finally:
        children.stop(child)
    return result, meter, (idle_after - idle_before) / max(1.0, total_after - total_before)


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
            bare, result, report, pairs = accept_cpu.run(
                folder,
                database(db_name, fresh=True),
                queue,
                requests,
                3,
                args.profile,
                args.kombu_rounds,
            )
        finally:
            drop_database(db_name)
    print(f"  bare Flask 202:       {bare.line()}")
    print(f"  pingsvc /webmention:  {result.line()}  {result.statuses}")
    for pushed, through_kombu in pairs:
        print(f"  one LPUSH:            {pushed.line()}")
        print(f"  through kombu:        {through_kombu.line()}")
    if report:
        print(report)
    return {"accept_cpu_ms": result.app_ms, "accept_postgres_ms": result.postgres_ms,
            "bare_cpu_ms": bare.app_ms}  # fmt: skip


if __name__ == "__main__":
    main()
