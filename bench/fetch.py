"""Fetch: CPU per fetch of a 30-60 KB page from nginx on loopback through pingsvc's fetch
client (address guard, pinned address, time and size budgets, one keep-alive session as the
pipeline keeps one), against a requests Session reading the same pages the same streamed way
(the library the client was built on until December 2026) and a bare urllib3 PoolManager loop
(the floor: no guard, no budget). The contenders take turns in rounds in one process, so a
busy machine skews them alike; each figure is this process's CPU time per fetch, the median
of the rounds. `--against REV` adds pingsvc's fetch client as it was at git revision REV;
`--instructions` also counts each one's instructions a fetch under callgrind."""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
import urllib3  # noqa: E402

from bench.common import CACHE, ROOT, arguments, machine, start_nginx, workspace  # noqa: E402
from bench.pages import write_pages  # noqa: E402
from pingsvc.fetch import client  # noqa: E402
from pingsvc.fetch.policy import FetchPolicy  # noqa: E402

PAGES = 50
CHUNK = client.CHUNK
Fetcher = Callable[[str], int]  # fetches a URL, returns the body's length


def _pingsvc(module: types.ModuleType, policy: FetchPolicy) -> tuple[Fetcher, Callable[[], None]]:
    session = module.make_session(policy)
    return (lambda url: len(module.fetch(url, policy, session, check=False).body)), session.close


def _requests() -> tuple[Fetcher, Callable[[], None]]:
    session = requests.Session()
    session.trust_env = False

    def get(url: str) -> int:
        with session.get(url, stream=True, timeout=(5, 10)) as response:
            return sum(len(c) for c in response.raw.stream(CHUNK, decode_content=True))

    return get, session.close


def _urllib3() -> tuple[Fetcher, Callable[[], None]]:
    pool = urllib3.PoolManager(retries=False)

    def get(url: str) -> int:
        response = pool.request("GET", url, preload_content=False, timeout=10)
        try:
            return sum(len(c) for c in response.stream(CHUNK, decode_content=True))
        finally:
            response.release_conn()

    return get, pool.clear


def client_at(revision: str) -> types.ModuleType:
    """pingsvc/fetch/client.py as it was at `revision`, loaded beside today's (it imports the
    rest of pingsvc.fetch as it is now)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:pingsvc/fetch/client.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    name = f"bench_fetch_client_{revision[:12]}"
    module = types.ModuleType(name)
    sys.modules[name] = module  # its dataclasses look their module up
    exec(compile(source, f"{revision}:pingsvc/fetch/client.py", "exec"), module.__dict__)
    return module


def measure(
    contenders: dict[str, Fetcher], urls: list[str], sizes: list[int], rounds: int
) -> dict[str, list[float]]:
    """CPU ms per fetch of each contender, one figure a round; the order turns every round."""
    names = list(contenders)
    for name in names:  # warm: connections open, code paths loaded
        for url, size in zip(urls[:5], sizes[:5], strict=True):
            assert contenders[name](url) == size, f"{name} read a short page"
    figures: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(rounds):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            fetch = contenders[name]
            started = time.process_time()
            for url in urls:
                fetch(url)
            figures[name].append((time.process_time() - started) * 1000 / len(urls))
    return figures


def contenders(base: str, against: str) -> dict[str, tuple[Fetcher, Callable[[], None]]]:
    policy = FetchPolicy(allow=frozenset({base.removeprefix("http://")}))
    made = {"pingsvc fetch()": _pingsvc(client, policy)}
    if against:
        made[f"pingsvc fetch() at {against}"] = _pingsvc(client_at(against), policy)
    made["requests Session, streamed"] = _requests()
    made["bare urllib3 PoolManager"] = _urllib3()
    return made


def _urls(base: str, names: list[str], count: int) -> list[str]:
    return [f"{base}/m/fetch/{i}/{names[i % PAGES]}" for i in range(count)]


def instructions(base: str, names: list[str], against: str, folder: Path) -> dict[str, float]:
    """Instructions per fetch of each contender under callgrind, which a busy machine does not
    move: a child process fetching 50 pages and one fetching 250, the difference over 200."""
    per_fetch = {}
    for name in contenders(base, against):
        counts = []
        for count in (50, 250):
            child = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/callgrind.out",
                 sys.executable, __file__, "--base", base, "--only", name, "--fetches", str(count),
                 "--against", against],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            collected = re.search(r"Collected : (\d+)", child.stderr)
            assert collected, child.stderr[-2000:]
            counts.append(int(collected.group(1)))
        per_fetch[name] = (counts[1] - counts[0]) / 200
    return per_fetch


def _only(options: argparse.Namespace) -> None:
    """A child of `instructions`: fetch `--fetches` pages with one contender, then stop."""
    names = write_pages(CACHE / "pages-v3", PAGES)
    fetch, close = contenders(options.base, options.against)[options.only]
    for url in _urls(options.base, names, options.fetches):
        fetch(url)
    close()


def main(argv: list[str]) -> None:
    parser = arguments(__doc__ or "", fetches=600, rounds=7, against="")
    parser.add_argument("--instructions", action="store_true", help="also count them (callgrind)")
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.only:
        return _only(options)
    fetches = 200 if options.quick and options.fetches == 600 else options.fetches
    rounds = 5 if options.quick and options.rounds == 7 else options.rounds
    print(f"fetch: {fetches} fetches of 30-60 KB pages a contender a round, {rounds} rounds")
    print(f"  {machine()}")
    with workspace("fetch", options.keep) as (folder, children):
        pages_dir = CACHE / "pages-v3"
        names = write_pages(pages_dir, PAGES)
        base = start_nginx(children, pages_dir)
        urls = _urls(base, names, fetches)
        sizes = [(pages_dir / names[i % PAGES]).stat().st_size for i in range(fetches)]
        made = contenders(base, options.against)
        try:
            figures = measure({n: f for n, (f, _) in made.items()}, urls, sizes, rounds)
        finally:
            for _fetch, close in made.values():
                close()
        counted = instructions(base, names, options.against, folder) if options.instructions else {}
    ours = statistics.median(figures["pingsvc fetch()"])
    for name, values in figures.items():
        median = statistics.median(values)
        print(
            f"  {name:<40} {median:.3f} ms CPU a fetch (rounds {min(values):.3f}-"
            f"{max(values):.3f}); pingsvc fetch() is {ours / median:.2f}x its CPU"
        )
    for name, count in counted.items():
        mine = counted["pingsvc fetch()"]
        print(f"  {name:<40} {count / 1000:.0f}k instructions a fetch; pingsvc fetch() is "
              f"{mine / count:.2f}x its count")  # fmt: skip
    return None


if __name__ == "__main__":
    main(sys.argv[1:])
