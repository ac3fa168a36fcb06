"""What the portability tests share: the sample files and a way to import them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from pingsvc import services
from pingsvc.portability import webmention_io, wordpress
from pingsvc.portability.importer import Report, import_records

FILES = Path(__file__).parent / "files"
HOST = "blog.example"
WM_POST = "https://blog.example/2020/01/new-year/"
LINKS_POST = "https://blog.example/2019/04/hello/"
WP_POST = "https://blog.example/2019/04/hello/"
WP_SECOND = "https://blog.example/2019/06/second/"


def import_webmention_io(app: Flask, *names: str, **kwargs: object) -> Report:
    records = webmention_io.read_files([FILES / name for name in names])
    return import_records(services(app).db, records, site_host=HOST, **kwargs)  # type: ignore[arg-type]


def import_wordpress(app: Flask, name: str = "wordpress.xml", **kwargs: object) -> Report:
    records = wordpress.read_files([FILES / name])
    return import_records(services(app).db, records, site_host=HOST, **kwargs)  # type: ignore[arg-type]
