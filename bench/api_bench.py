"""The read API in-process on SQLite: how long a page takes to build (cold), to serve from the
response cache, and to answer 304, for a widget's page of 20 and a plugin's page of 10,000.

    python -m bench.api_bench [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

POST = "https://blog.example/post/1"


def timed(call: object, runs: int) -> float:
    """Median seconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 mentions instead of 10,000")
    args = parser.parse_args()
    count = 2_000 if args.quick else 10_000

    with tempfile.TemporaryDirectory() as folder:
        os.environ["PINGSVC_VAR_DIR"] = str(Path(folder) / "var")
        os.environ["PINGSVC_LOG_LEVEL"] = "WARNING"
        from pingsvc import create_app, services
        from pingsvc.migrate import upgrade
        from tests.support.mentions import add_many

        app = create_app()
        upgrade(app.config["DATABASE_URL"])
        add_many(app, count, POST)
        client = app.test_client()
        print(f"{count} approved mentions of one post, SQLite, in-process")
        from pingsvc.api.cache import NoCache
        from pingsvc.api.views import _CACHE

        cache = app.extensions[_CACHE]
        for query in ("per-page=20", f"per-page={count}", f"per-page={count}&sort-by=published"):
            url = f"/api/mentions.jf2?target={POST}&{query}"
            app.extensions[_CACHE] = NoCache()  # every answer built afresh
            cold = timed(lambda url=url: client.get(url), 3)
            app.extensions[_CACHE] = cache
            response = client.get(url)
            cached = timed(lambda url=url: client.get(url), 5)
            headers = {"If-None-Match": response.headers["ETag"]}
            revalidated = timed(lambda url=url, h=headers: client.get(url, headers=h), 5)
            print(
                f"{query:<36} {len(response.data) / 1024:>8.0f} KiB  cold {cold * 1000:>7.1f} ms"
                f"  cached {cached * 1000:>6.1f} ms  304 {revalidated * 1000:>5.1f} ms"
            )
        services(app).db.dispose()


if __name__ == "__main__":
    main()
