"""`pingsvc import`: read each file in its format, store the records, say what was done."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import Flask

from pingsvc.db import services
from pingsvc.portability import formats, webmention_io, wordpress
from pingsvc.portability.importer import (
    ImportFormatError,
    ImportRefused,
    Report,
    import_records,
)
from pingsvc.portability.records import Record

Advance = Callable[[int], None]


class _Counted:
    """A binary file that reports the bytes read from it (the progress bar's unit)."""

    def __init__(self, stream: BinaryIO, advance: Advance) -> None:
        self.stream = stream
        self.advance = advance

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.advance(len(chunk))
        return chunk


def _records(paths: list[tuple[Path, str]], advance: Advance) -> Iterator[Record]:
    for path, fmt in paths:
        if fmt == formats.WORDPRESS:
            with path.open("rb") as stream:
                yield from wordpress.read(_Counted(stream, advance), path.name)  # type: ignore[arg-type]
        else:
            yield from webmention_io.read(path)
            advance(path.stat().st_size)


def _restore(app: Flask, paths: list[Path]) -> Report:
    """Restore pingsvc exports, with a bar of records on a terminal (the restore reports
    records, so their number is counted first: one quick read of each file)."""
    from pingsvc.portability import restore

    bar: Any = None
    if sys.stderr.isatty():
        total = 0
        for path in paths:
            with path.open("rb") as stream:
                total += max(0, sum(1 for line in stream if line.strip()) - 1)
        bar = click.progressbar(length=total, label="restoring", file=sys.stderr)
        bar.__enter__()
    try:
        return restore.restore(services(app).db, paths, progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def run(app: Flask, files: list[str], site: str | None, fmt: str | None, verify: bool) -> int:
    """Import `files`; print the summary line. Returns the exit status."""
    paths = [Path(f) for f in files]
    try:
        typed = [(path, fmt or formats.detect(path)) for path in paths]
    except ImportFormatError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return 1
    missing = [p for p in paths if not p.is_file()]
    if missing:
        click.echo(f"error: {missing[0]}: no such file", err=True)
        return 1
    report = Report()
    exports = [path for path, kind in typed if kind == formats.PINGSVC]
    others = [(path, kind) for path, kind in typed if kind != formats.PINGSVC]
    if others and not site:
        click.echo(
            "error: give --site HOST: the site whose posts the mentions in "
            f"{others[0][0].name} are of (it is registered if it is missing)",
            err=True,
        )
        return 1
    # As `pingsvc site add` takes it: "https://Blog.Example/" is the site blog.example.
    host = (site or "").strip().lower().removeprefix("https://").removeprefix("http://")
    host = host.split("/")[0]
    try:
        if exports:
            report.add(_restore(app, exports))
        if others:
            report.add(_import(app, others, host, verify))
    except ImportFormatError as exc:
        if exc.report is not None:
            report.add(exc.report)
        click.echo(f"error: {exc.message}", err=True)
        click.echo(f"stored before the error: {report.summary()}", err=True)
        return 1
    except ImportRefused as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    click.echo(report.summary())
    return 0


def _import(app: Flask, typed: list[tuple[Path, str]], site: str, verify: bool) -> Report:
    total = sum(path.stat().st_size for path, _ in typed)
    bar: Any = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=total, label="importing", file=sys.stderr)
        bar.__enter__()

    def advance(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        with app.app_context():  # the verify task is queued through the app's Celery
            return import_records(
                services(app).db, _records(typed, advance), site_host=site, verify=verify
            )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
