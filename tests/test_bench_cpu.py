"""bench/common.py's CpuMeter: a group's CPU split between its root processes and their
descendants (verify.py: the worker's Celery processes and their sandbox children)."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from bench.common import CpuMeter, _cpu_seconds, _tree

# A child that waits, spins 0.3 s of CPU, then waits again (a process that has ended by the
# meter's exit is not counted, as the bench's processes all outlive their measurement).
CHILD = (
    "import time\ntime.sleep(0.5)\nend = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\ntime.sleep(30)"
)
PARENT = (
    "import subprocess, sys, time\n"
    f"subprocess.Popen([sys.executable, '-c', {CHILD!r}])\ntime.sleep(30)"
)


def test_a_groups_descendants_are_counted_apart_and_once_in_the_total() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        deadline = time.monotonic() + 10
        while len(_tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        meter = CpuMeter({"worker": [parent.pid]}, {}, {"worker": ("celery", "sandbox")})
        child = _tree(parent.pid)[1]
        with meter:
            deadline = time.monotonic() + 30  # until the spin is done, on a busy machine too
            while _cpu_seconds(child) < 0.3 and time.monotonic() < deadline:
                time.sleep(0.05)
        line = meter.line(1)
    finally:
        for pid in reversed(_tree(parent.pid)):
            subprocess.run(["kill", "-9", str(pid)], check=False)
        parent.wait()
    match = re.search(r"worker ([\d.]+) \(celery ([\d.]+), sandbox ([\d.]+)\)", line)
    assert match, line
    worker, celery, sandbox = map(float, match.groups())
    assert sandbox >= 200 and celery < 150, line  # ms: the child's spin, the parent's sleep
    assert abs(worker - (celery + sandbox)) < 0.02
    # The total counts the worker once (PostgreSQL's and Redis's groups are there too).
    outside = re.sub(r"\([^)]*\)", "", line.split(": ", 1)[1].rsplit(";", 1)[0])
    figures = [float(part.split()[-1]) for part in outside.split(",")]
    assert abs(sum(figures) - float(line.rsplit(" ", 1)[1])) < 0.05, line
