"""`pingsvc send URL`: plan a post's sends, queue them, and with --wait watch them end and
print the table (target, protocol, endpoint, status, code). The command's own output only;
planning is send.post's, delivering the worker's."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import click
from flask import Flask

from pingsvc.db import Database, services
from pingsvc.errors import PingError
from pingsvc.models import ERROR, Outgoing
from pingsvc.send import store
from pingsvc.send.post import Plan, SendSettings, send_post
from pingsvc.tasking import enqueue_deliver
from pingsvc.terminal import printable

POLL_SECONDS = 0.5


def location_url(base: str, public_id: str) -> str:
    """The API location of a send (GET it for the status)."""
    return f"{base}/api/send/{public_id}"


def run(
    app: Flask,
    url: str,
    *,
    dry_run: bool,
    wait: bool,
    as_json: bool,
    code: str | None = None,
    realm: str | None = None,
) -> int:
    """Run `pingsvc send`; the exit status: 0 when nothing ended in error, else 1. `code`
    and `realm` go with each webmention of a private post (Private Webmention)."""
    settings = SendSettings.from_config(app.config)
    db = services(app).db
    try:
        plan = send_post(
            db, url, settings, code=code, realm=realm,
            dry_run=dry_run, enqueue=None if dry_run else enqueue_deliver,
        )  # fmt: skip
    except PingError as exc:
        raise click.ClickException(printable(exc.description)) from exc
    if dry_run:
        _print_dry_run(plan, as_json)
        return 0
    ids = [p.outgoing_id for p in plan.targets if p.outgoing_id is not None]
    if not plan.enqueued:
        click.echo("warning: the queue is not answering; the sweeper will send these", err=True)
    if not wait:
        _print_queued(plan, app.config["BASE_URL"], as_json)
        return 0
    finished = _wait(db, ids, float(app.config["SEND_WAIT"]), show_progress=not as_json)
    with db.session() as session:
        rows = store.by_ids(session, ids)
    _print_rows(plan, rows, as_json)
    if not finished:
        click.echo(
            "some sends are still queued: is the worker running (`pingsvc serve`)?", err=True
        )
        return 1
    return 1 if any(row.status == ERROR for row in rows) else 0


def _wait(db: Database, ids: list[int], timeout: float, *, show_progress: bool) -> bool:
    """Poll until every send is final (True) or `timeout` s pass (False); a progress bar on
    stderr when it is a terminal."""
    deadline = time.monotonic() + timeout
    bar: Any = None
    if show_progress and sys.stderr.isatty():
        bar = click.progressbar(length=len(ids), label="sending", file=sys.stderr)
        bar.__enter__()
    done_before = 0
    try:
        while True:
            with db.session() as session:
                rows = store.by_ids(session, ids)
            done = sum(1 for row in rows if row.status != "queued")
            if bar is not None and done > done_before:
                bar.update(done - done_before)
            done_before = done
            if done == len(rows):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _print_dry_run(plan: Plan, as_json: bool) -> None:
    if as_json:
        document = {
            "source": plan.source,
            "gone": plan.gone,
            "targets": [
                {
                    "target": p.target,
                    "linked": p.linked,
                    "type": p.protocol,
                    "endpoint": p.endpoint,
                    "problem": p.problem,
                }
                for p in plan.targets
            ],
        }
        click.echo(json.dumps(document, indent=2))
        return
    rows = [
        (
            p.target + ("" if p.linked else " (removed)"),
            p.protocol or "-",
            p.endpoint or f"none: {p.problem}",
        )
        for p in plan.targets
    ]
    _table(("target", "protocol", "endpoint"), rows)
    click.echo(f"dry run: nothing was sent for {printable(plan.source)}", err=True)


def _print_queued(plan: Plan, base: str, as_json: bool) -> None:
    entries = [
        {
            "target": p.target,
            "linked": p.linked,
            "status": "queued",
            "location": location_url(base, p.public_id or ""),
        }
        for p in plan.targets
    ]
    if as_json:
        click.echo(json.dumps({"source": plan.source, "gone": plan.gone, "targets": entries}))
        return
    for entry in entries:
        click.echo(f"queued\t{printable(entry['target'])}\t{entry['location']}")
    click.echo(
        f"queued {len(entries)} sends for {printable(plan.source)}; the worker delivers them "
        "(--wait waits and prints each status)",
        err=True,
    )


def _print_rows(plan: Plan, rows: list[Outgoing], as_json: bool) -> None:
    if as_json:
        document = {
            "source": plan.source,
            "gone": plan.gone,
            "targets": [store.status_document(row) for row in rows],
        }
        click.echo(json.dumps(document, indent=2))
        return
    table = [
        (
            row.target + ("" if row.linked else " (removed)"),
            row.protocol or "-",
            row.endpoint or "-",
            row.status,
            str(row.http_code) if row.http_code is not None else "-",
        )
        for row in rows
    ]
    _table(("target", "protocol", "endpoint", "status", "code"), table)
    for row in rows:
        if row.status == ERROR:
            said = printable(row.last_error or row.summary)
            click.echo(f"error: {printable(row.target)}: {said}", err=True)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Print aligned columns; every cell escaped, as endpoints and answers are strangers'."""
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for line in (header, *rows):
        click.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)
            ).rstrip()
        )
