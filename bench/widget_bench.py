"""The embed widget's cost to a reader: its size (raw and gzipped) and how long Chromium takes
to draw 500 mentions. Loopback only: the service runs in a thread on 127.0.0.1.

    .venv/bin/python bench/widget_bench.py [--mentions 500] [--runs 7]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from pingsvc import create_app, services  # noqa: E402
from pingsvc.migrate import upgrade  # noqa: E402
from pingsvc.models import APPROVED, Mention, Site  # noqa: E402
from pingsvc.urls import target_key  # noqa: E402

EMBED_JS = ROOT / "pingsvc" / "static" / "embed.js"
TARGET = "https://blog.example/post/bench"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
    "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # fmt: skip
# Each render's DOM-building time (from the widget's own event) and, after forcing style and
# layout, the time until the reader could see it.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>
<script>
window.renders = [];
document.addEventListener("pingsvc:render", (event) => {
  const start = performance.now() - event.detail.ms;
  event.target.shadowRoot.querySelector("section").getBoundingClientRect();
  renders.push({build: event.detail.ms, drawn: performance.now() - start,
                shown: event.detail.shown, sinceNavigation: performance.now()});
});
</script></head><body><article><h1>A post</h1><p>Text.</p></article>
<script src="BASE/embed.js" data-target="TARGET" data-per-page="PER_PAGE" async></script>
</body></html>"""


def seed(app: object, count: int, base: str) -> None:
    """`count` mentions of one post: mostly replies (a fifth of them threaded), then likes,
    reposts and a few pingbacks, as a popular post collects them."""
    start = datetime(2026, 1, 1)
    with services(app).db.session() as session:  # type: ignore[arg-type]
        site = Site(host="blog.example")
        session.add(site)
        session.flush()
        rows: list[Mention] = []
        for n in range(count):
            kind = n % 10
            prop = "in-reply-to" if kind < 6 else "like-of" if kind < 9 else "repost-of"
            if n % 50 == 49:
                prop = "mention-of"
            source = f"https://author{n}.example/post/{n}"
            rows.append(
                Mention(
                    site_id=site.id, source=source, source_host=f"author{n}.example",
                    target=TARGET, target_key=target_key(TARGET), status=APPROVED,
                    protocol="pingback" if prop == "mention-of" else "webmention",
                    property=prop, url=source, author_name=f"Author {n}",
                    author_url=f"https://author{n}.example/",
                    author_photo=f"{base}/demo/avatar/{n % 40}.svg" if n % 3 else None,
                    content_text=f"Reply {n}: a sentence or two of what a reader said." * 2,
                    name="A post about this" if prop == "mention-of" else None,
                    received_at=start + timedelta(minutes=n),
                    extra={"site_name": "Some blog"} if prop == "mention-of" else {},
                )
            )  # fmt: skip
        session.add_all(rows)
        session.flush()
        replies = [m for m in rows if m.property == "in-reply-to"]
        for i, reply in enumerate(replies[1:], 1):
            if i % 5 == 0:
                reply.parent_id = replies[i - 1].id
        session.commit()


def serve_page(html: str) -> tuple[ThreadingHTTPServer, str]:
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/post.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    raw = EMBED_JS.read_bytes()
    print(f"embed.js: {len(raw):,} bytes raw, {len(gzip.compress(raw, 9)):,} bytes gzipped")

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's Chromium: make browser")
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        for name in [n for n in os.environ if n.startswith("PINGSVC_")]:
            del os.environ[name]
        app = create_app(
            {"VAR_DIR": tmp, "BASE_URL": base, "LOG_LEVEL": "WARNING", "API_MAX_AGE": 0}
        )
        upgrade(app.config["DATABASE_URL"])
        seed(app, args.mentions, base)
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page_html = PAGE.replace("BASE", base).replace("TARGET", TARGET)
        host, url = serve_page(page_html.replace("PER_PAGE", str(args.mentions)))
        results = []
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 900, "height": 900})
            for _ in range(args.runs + 1):  # the first run warms caches and is left out
                page.goto(url)
                page.wait_for_function("() => window.renders.length > 0")
                results.append(page.evaluate("() => window.renders[0]"))
            browser.close()
        host.shutdown()
        server.shutdown()
        services(app).db.dispose()

    runs = results[1:]
    shown = runs[0]["shown"]
    print(f"render of {shown} mentions in Chromium {args.runs} runs (median, min-max):")
    for key, label in (
        ("build", "DOM built"),
        ("drawn", "DOM built + style + layout"),
        ("sinceNavigation", "from navigation start (script + 2 API reads)"),
    ):
        values = [r[key] for r in runs]
        print(
            f"  {label:46} {statistics.median(values):7.1f} ms"
            f"  ({min(values):.1f}-{max(values):.1f})"
        )


if __name__ == "__main__":
    main()
