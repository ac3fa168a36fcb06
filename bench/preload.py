"""The sandbox's first job in a new child: CPU it costs with the forkserver preloading only
pipeline.steps (the baseline) and with today's PRELOAD, the two alternated round by round,
each in a process of its own (a forkserver's preload is fixed when it starts). No network.

    .venv/bin/python bench/preload.py [--quick] [--rounds N]
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import arguments, machine  # noqa: E402

BASELINE = ["pingsvc.pipeline.steps"]


def _jobs() -> list[tuple[str, Any, tuple[Any, ...]]]:
    from PIL import Image

    from pingsvc.avatars import image
    from pingsvc.fetch.page import Page
    from pingsvc.fetch.policy import FetchPolicy
    from pingsvc.pipeline import steps
    from pingsvc.send import deliver, feeds

    html = Page(
        "https://a.example/post", 200, "text/html",
        b"<html><head><link rel=webmention href=/wm></head><body class=h-entry>"
        b"<p class=e-content>Hi <a href=https://t.example/1>t</a></p></body></html>",
    )  # fmt: skip
    feed = Page(
        "https://a.example/feed", 200, "application/rss+xml",
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><link>https://a.example/1</link><guid>1</guid></item></channel></rss>",
    )  # fmt: skip
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), "teal").save(photo, "JPEG")
    return [
        ("steps.read (a mention)", steps.read, (html, "https://t.example/1", FetchPolicy(), 300)),
        ("deliver.read_endpoint", deliver.read_endpoint, (html, 512)),
        ("feeds.read_feed", feeds.read_feed, (feed, 512)),
        ("image.render (JPEG)", image.render, (photo.getvalue(),)),
        ("image.initials", image.initials, ("Ada Lovelace",)),
    ]


def _forkserver_pid() -> int:
    from multiprocessing import forkserver

    return int(forkserver._forkserver._forkserver_pid)  # type: ignore[attr-defined]


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has spent, from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(preload: list[str] | None) -> dict[str, float]:
    """In this process: the CPU seconds of a new child up to the end of its first job, per
    job, and what the forkserver spent starting (its preload), once per worker process."""
    from pingsvc.pipeline import sandbox

    if preload is not None:
        sandbox.PRELOAD[:] = preload
    figures: dict[str, float] = {}
    sandbox.Pool(1, 5.0).run(time.process_time, wall_limit=60, what="bench")
    figures["forkserver start"] = _cpu_of(_forkserver_pid())
    for name, func, args in _jobs():
        fresh = sandbox.Pool(1, 5.0)
        try:
            fresh.run(func, *args, wall_limit=60, what="bench")
            # A forked child's CPU clock starts at zero: this is all the child has spent.
            figures[name] = fresh.run(time.process_time, wall_limit=60, what="bench")
        finally:
            fresh.close()
    return figures


def main(argv: list[str]) -> None:
    options = arguments(__doc__ or "", rounds=7).parse_args(argv)
    rounds = 3 if options.quick else options.rounds
    print(f"sandbox preload, first job of a new child, {rounds} rounds on {machine()}")
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "PRELOAD": []}
    for _ in range(rounds):
        for label, preload in (("baseline", BASELINE), ("PRELOAD", None)):
            done = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(preload)],
                capture_output=True, text=True, check=True, timeout=300,
            )  # fmt: skip
            runs[label].append(json.loads(done.stdout))
    for name in runs["baseline"][0]:
        before = statistics.median(run[name] for run in runs["baseline"])
        after = statistics.median(run[name] for run in runs["PRELOAD"])
        print(
            f"  {name:28} baseline {before * 1000:6.1f} ms   PRELOAD {after * 1000:6.1f} ms"
            f"   ({after - before:+.3f} s)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(json.loads(sys.argv[2]))))
    else:
        main(sys.argv[1:])
