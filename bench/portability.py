"""Portability: records/s and peak memory of `pingsvc export` and of restoring that export
(`pingsvc import FILE`) for a site with N mentions, at two sizes in one run, so that a peak
that grows with the file shows. Each step runs in a child process of its own and reports its
peak RSS. Baseline in the same run: the naive export, every row fetched at once and the file
written from the list (what streaming is there to avoid)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.common import PYTHON, arguments, database, drop_database, machine  # noqa: E402
from pingsvc.db import Database  # noqa: E402
from pingsvc.migrate import upgrade  # noqa: E402
from pingsvc.models import Mention, MentionLink, Site  # noqa: E402

START = datetime(2024, 1, 1, 12, 0, 0)
CONTENT = "<p>" + "A reply that says a little more than thanks, as replies do. " * 8 + "</p>"


def fill(url: str, count: int) -> None:
    """`count` approved replies (and a link row each) of one site, inserted in chunks."""
    upgrade(url)
    db = Database(url)
    with db.engine.begin() as conn:
        site_id = conn.execute(sa.insert(Site).values(host="blog.example").returning(Site.id))
        site = site_id.scalar_one()
    chunk = 5000
    for first in range(0, count, chunk):
        rows: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for n in range(first, min(count, first + chunk)):
            when = START + timedelta(seconds=n)
            source = f"https://author{n % 997}.example/notes/{n}"
            rows.append(
                {
                    "id": n + 1, "site_id": site, "source": source,
                    "source_host": f"author{n % 997}.example",
                    "target": f"https://blog.example/post/{n % 500}",
                    "target_key": f"blog.example/post/{n % 500}", "protocol": "webmention",
                    "status": "approved", "changed": True, "attempts": 1, "stops": 0,
                    "received_at": when, "updated_at": when, "verified_at": when,
                    "property": "in-reply-to", "url": source, "content_html": CONTENT,
                    "content_text": CONTENT[3:-4], "author_name": f"Author {n % 997}",
                    "author_url": f"https://author{n % 997}.example/",
                    "published": when.isoformat() + "+00:00",
                    "extra": {"syndication": [], "canonical": None, "site_name": None},
                }
            )  # fmt: skip
            links.append({"mention_id": n + 1, "kind": "self", "key": f"{n:040x}"})
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Mention), rows)
            conn.execute(sa.insert(MentionLink), links)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("SELECT setval('mention_id_seq', (SELECT MAX(id) FROM mention))"))
    db.dispose()


def child(step: str, url: str, path: str) -> None:
    """One measured step, in this process; prints {"seconds", "records", "peak_kb"}."""
    db = Database(url)
    started = time.perf_counter()
    if step == "export":
        from pingsvc.portability.export import export

        with open(path, "w", encoding="utf-8") as out:
            records = export(db, out)
    elif step == "restore":
        from pingsvc.portability.restore import restore

        report = restore(db, [path])
        records = report.imported + report.updated + report.skipped
    else:  # the naive export: every row in memory, then the file
        from pingsvc.portability.layout import KINDS, encode

        everything = []
        with db.engine.connect() as conn:
            for kind in KINDS:
                rows = conn.execute(sa.select(*kind.columns())).mappings().all()
                everything.extend(encode(kind, row) for row in rows)
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(json.dumps(r) for r in everything))
        records = len(everything)
    seconds = time.perf_counter() - started
    peak = _own_peak_kb()
    print(json.dumps({"seconds": seconds, "records": records, "peak_kb": peak}))


def _own_peak_kb() -> int:
    """This process's peak RSS since it started its program: VmHWM belongs to the memory map
    exec made, where ru_maxrss keeps the peak of the parent it was forked from (the bench's
    own process, which filled the database)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(step: str, url: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [PYTHON, __file__, "--child", step, url, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_size(count: int, use_sqlite: bool, folder: Path) -> dict[str, dict[str, float]]:
    names: list[str] = []

    def url_of(role: str) -> str:
        if use_sqlite:
            return f"sqlite:///{folder / f'{role}-{count}.sqlite3'}"
        name = f"pingsvc_bench_port_{role}_{uuid.uuid4().hex[:6]}"
        names.append(name)
        return database(name, fresh=True)

    try:
        source, restored = url_of("source"), url_of("restored")
        fill(source, count)
        upgrade(restored)
        file = folder / f"export-{count}.jsonl"
        results = {
            "naive": measure("naive", source, folder / f"naive-{count}.jsonl"),
            "export": measure("export", source, file),
            "restore": measure("restore", restored, file),
        }
        results["file"] = {"bytes": file.stat().st_size}
        return results
    finally:
        for name in names:
            drop_database(name)


def main(argv: list[str]) -> int:
    parser = arguments(__doc__ or "", small=20_000, large=100_000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded database instead")
    args = parser.parse_args(argv)
    sizes = (5_000, 20_000) if args.quick else (args.small, args.large)
    print(f"portability on {machine()}, {'SQLite' if args.sqlite else 'PostgreSQL'}")
    mib = 1024.0
    runs: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="pingsvc-bench-port-") as tmp:
        for count in sizes:
            result = runs[count] = run_size(count, args.sqlite, Path(tmp))
            naive = result["naive"]["records"] / result["naive"]["seconds"]
            print(f"\n{count:,} mentions ({result['file']['bytes'] / 2**20:.0f} MiB file):")
            for step in ("export", "restore", "naive"):
                r = result[step]
                rate = r["records"] / r["seconds"]
                label = "naive export (baseline)" if step == "naive" else step
                print(
                    f"  {label:24} {rate:9,.0f} records/s ({rate / naive:4.2f}x naive)"
                    f"  {r['seconds']:6.1f} s  peak RSS {r['peak_kb'] / mib:6.1f} MiB",
                    flush=True,
                )
    small, large = (runs[count] for count in sizes)
    factor = sizes[1] / sizes[0]
    print(f"\npeak RSS growth from {sizes[0]:,} to {sizes[1]:,} mentions ({factor:.0f}x the file):")
    for step in ("export", "restore", "naive"):
        grew = (large[step]["peak_kb"] - small[step]["peak_kb"]) / mib
        print(f"  {step:8} {grew:+7.1f} MiB")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
