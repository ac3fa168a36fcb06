"""`make bench`: accept, pingback waits, verify (with memory) on the plain pages and on
the comment-heavy ones, fetch, read (with memory) and portability, one after another, each
printing its figures and its ratio against the baseline it measured in the same run
(verify: its own naive loop on the same kind of pages)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import accept, fetch, pingback_wait, portability, read, verify  # noqa: E402
from bench.common import machine  # noqa: E402


def main(argv: list[str]) -> int:
    """Run every benchmark; the options (--quick, --keep) are passed to each."""
    passed = [a for a in argv if a in ("--quick", "--keep")]
    unknown = [a for a in argv if a not in passed]
    if unknown:
        raise SystemExit(f"run_all takes only --quick and --keep (got {' '.join(unknown)}); "
                         "run a script alone for its own options (bench/README.md)")  # fmt: skip
    print(f"pingsvc benchmarks on {machine()}\n")
    started = time.perf_counter()
    failed = []
    for name, module, options in (
        ("accept", accept, []),
        ("pingback_wait", pingback_wait, []),
        ("verify, plain pages", verify, ["--pages", "plain"]),
        ("verify, heavy pages", verify, ["--pages", "heavy"]),
        ("fetch", fetch, []),
        ("read", read, []),
        ("portability", portability, []),
    ):
        try:
            module.main([*passed, *options])
        except SystemExit as exc:
            if exc.code not in (0, None):
                print(f"{name} stopped: {exc.code}")
                failed.append(name)
        print()
    print(f"all benchmarks ran in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
