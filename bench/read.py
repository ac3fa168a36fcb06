"""Read: requests/s and p99 of GET /api/mentions.jf2 and /embed/mentions.html for a post with
1,000 mentions, in a database of 10,000 mentions and in one of 1,000,000 mentions across
10,000 sites (bulk-loaded with COPY, kept between runs), uncached and cached; the first
request after start is timed too. The cost of a read must not grow with the database."""

from __future__ import annotations

import random
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.common import (  # noqa: E402
    MemorySampler,
    WrkResult,
    arguments,
    check_redis,
    clear_queue,
    database,
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

HOT = "https://blog.example/post/hot"
HOT_MENTIONS = 1000
TARGET_P99_MS = 20.0
PROPERTIES = ["in-reply-to", "like-of", "like-of", "repost-of", "mention-of", "bookmark-of"]
COLUMNS = (
    "site_id", "source", "source_host", "target", "target_key", "protocol", "status", "changed",
    "attempts", "received_at", "updated_at", "verified_at", "property", "url", "name",
    "content_html", "content_text", "author_name", "author_url", "author_photo", "published",
    "extra",
)  # fmt: skip


def _psycopg_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


def _rows(sites: list[int], hot_site: int, total: int) -> object:
    """The mention rows: HOT_MENTIONS on the hot post, the rest spread over every site's
    ten posts; one in twenty rejected."""
    rng = random.Random(7)
    start = datetime(2023, 1, 1)
    for index in range(total):
        if index < HOT_MENTIONS:
            site, target = hot_site, HOT
        else:
            site = sites[index % len(sites)]
            target = f"https://site{site}.example/post/{(index // len(sites)) % 10}"
        when = start + timedelta(seconds=index * 17)
        prop = PROPERTIES[index % len(PROPERTIES)]
        author = f"Author {rng.randrange(50_000)}"
        text = f"Reply number {index}: a few words about the post, as people write them."
        host = f"src{index % 5000}.example"
        source = f"https://{host}/notes/{index}"
        yield (
            site, source, host, target, target.split("://", 1)[1], "webmention",
            "rejected" if index % 20 == 19 else "approved", True, 0, when, when, when, prop,
            source, None, f"<p>{text}</p>" if prop == "in-reply-to" else None,
            text if prop == "in-reply-to" else None, author, f"https://{host}/",
            f"https://{host}/me.jpg", when.isoformat(), "{}",
        )  # fmt: skip


def prepare(name: str, mentions: int, sites: int, folder: Path) -> str:
    """The database `name` with `mentions` mentions over `sites` sites; built once, reused."""
    url = database(name, fresh=False)
    env = production_env(folder, url, "unused")
    run_cli(env, "db", "upgrade")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM mention"))
        hot = conn.scalar(sa.text("SELECT count(*) FROM mention WHERE target = :t"), {"t": HOT})
    engine.dispose()
    if have == mentions and hot == HOT_MENTIONS:
        print(f"  reusing {name}: {mentions:,} mentions")
        return url
    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url), autocommit=False) as conn:
        conn.execute("TRUNCATE mention, site RESTART IDENTITY CASCADE")
        with conn.cursor().copy("COPY site (host, policy, created_at) FROM STDIN") as copy:
            copy.write_row(("blog.example", "publish", datetime(2023, 1, 1)))
            for index in range(1, sites):
                copy.write_row((f"site{index}.example", "publish", datetime(2023, 1, 1)))
        ids = [row[0] for row in conn.execute("SELECT id FROM site ORDER BY id")]
        with conn.cursor().copy(f"COPY mention ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(ids, ids[0], mentions):
                copy.write_row(row)
        conn.commit()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE mention")
        conn.execute("VACUUM ANALYZE site")
    print(f"  built {name}: {mentions:,} mentions over {sites:,} sites in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return url


def first_request(url: str) -> float:
    started = time.perf_counter()
    answer = requests.get(url, timeout=30)
    answer.raise_for_status()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = arguments(
        "GET API and widget throughput and p99, 10k vs 1M mentions, uncached and cached",
        seconds=10.0,
        connections=16,
        low_connections=2,
        big=1_000_000,
        workers=2,
        threads=8,
    )
    args = parser.parse_args(argv)
    seconds = 3.0 if args.quick else args.seconds
    need("wrk")
    check_redis()
    print(f"read: {machine()}")
    print(f"  web (granian): {args.workers} x {args.threads} threads; wrk: {args.connections} "
          f"connections, {seconds:.0f} s per run; post with {HOT_MENTIONS:,} mentions")  # fmt: skip
    sizes = {"10k": (10_000, 100), "1M": (args.big, 10_000)}
    endpoints = {
        "/api/mentions.jf2": f"/api/mentions.jf2?target={HOT}",
        "/embed/mentions.html": f"/embed/mentions.html?target={HOT}",
    }
    results: dict[str, WrkResult] = {}
    light: dict[str, WrkResult] = {}  # the same at low load: latency, not queueing
    firsts: dict[str, float] = {}
    memory_lines: list[str] = []
    with workspace("read", args.keep) as (folder, children):
        for size, (mentions, sites) in sizes.items():
            url = prepare(f"pingsvc_bench_read_{size.lower()}", mentions, sites, folder)
            for mode, ttl in (("uncached", "0"), ("cached", "300")):
                queue = f"pingsvc-bench-read-{uuid.uuid4().hex[:6]}"
                env = production_env(folder, url, queue, PINGSVC_API_CACHE_TTL=ttl)
                web, base = start_web(children, env, workers=args.workers, threads=args.threads)
                try:
                    with MemorySampler({f"web ({size}, {mode})": [web.pid]}) as memory:
                        for label, path in endpoints.items():
                            probe = requests.get(base + path, timeout=30)
                            if probe.status_code == 404 and "embed" in path:
                                print(f"  {label}: not served by this build, skipped")
                                continue
                            probe.raise_for_status()
                            firsts[f"{size} {label} {mode}"] = first_request(base + path)
                            wrk(base + path, seconds=1, connections=args.connections)
                            results[f"{size} {label} {mode}"] = wrk(
                                base + path, seconds=seconds, connections=args.connections
                            )
                            light[f"{size} {label} {mode}"] = wrk(
                                base + path, seconds=seconds, connections=args.low_connections
                            )
                    memory_lines += memory.lines()
                finally:
                    children.stop(web)
                    clear_queue(queue)

    low = f"p99 @{args.low_connections}c"
    print(f"  {'database':8} {'endpoint':22} {'mode':9} {'req/s':>8} {'p50 ms':>7} "
          f"{'p99 ms':>7} {low:>9}  first request  (req/s, p50, p99 at {args.connections} "
          f"connections; {low}: p99 at {args.low_connections} connections)")  # fmt: skip
    for key, result in results.items():
        size, label, mode = key.split(" ")
        print(f"  {size:8} {label:22} {mode:9} {result.rate:8,.0f} {result.p50_ms:7.1f} "
              f"{result.p99_ms:7.1f} {light[key].p99_ms:9.1f}  {firsts[key]:.1f} ms")  # fmt: skip
    summary: dict[str, float] = {}
    for label in endpoints:
        for mode in ("uncached", "cached"):
            small, big = results.get(f"10k {label} {mode}"), results.get(f"1M {label} {mode}")
            if small and big:
                print(f"  {label} {mode}: 1M/10k = {ratio(big.rate, small.rate)} the "
                      f"throughput, p99 {big.p99_ms:.1f} vs {small.p99_ms:.1f} ms")  # fmt: skip
                summary[f"read{label.replace('/', '_')}_{mode}_1m_rate"] = big.rate
                summary[f"read{label.replace('/', '_')}_{mode}_1m_p99"] = big.p99_ms
    cached = [k for k in results if k.endswith(" cached")]
    worst = max((results[k].p99_ms for k in cached), default=float("nan"))
    worst_light = max((light[k].p99_ms for k in cached), default=float("nan"))
    print(f"  cached p99 worst: {worst_light:.1f} ms at {args.low_connections} connections "
          f"(target < {TARGET_P99_MS:.0f} ms: {verdict(worst_light < TARGET_P99_MS)}); "
          f"{worst:.1f} ms at {args.connections} connections (saturated: queueing)")  # fmt: skip
    summary["read_cached_p99_low_load"] = worst_light
    for line in memory_lines:
        print(f"  memory, {line}")
    return summary


if __name__ == "__main__":
    main()
