"""The README's static-site cache (cache-mentions.mjs) works as shown: run with Node against
a real `pingsvc web` on 127.0.0.1, it ends with what the domain-wide API lists, and a second
run picks up a deletion."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from pingsvc import changelog, moderation, services
from pingsvc.models import Account, Mention, Site
from pingsvc.tokens import rotate
from tests.support.mentions import add, mention_row, site_id
from tests.support.services import start_web

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = README.split("### Following changes", 1)[1].split("\n## ", 1)[0]


def _script() -> str:
    found = re.search(r"```js\n(// cache-mentions\.mjs.*?)```", SECTION, re.S)
    assert found, "README's Following changes section lost its cache-mentions.mjs example"
    return found.group(1)


def test_the_readme_example_is_about_fifteen_lines() -> None:
    assert 12 <= len(_script().strip().splitlines()) <= 20


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node 18+ for fetch")
def test_the_readme_cache_follows_the_feed(
    app: Flask, settings: dict[str, str], tmp_path: Path
) -> None:
    sid = site_id(app)
    ids = add(app, *(mention_row(sid, kind=k) for k in ("reply", "like", "repost")))
    with services(app).db.session() as session:
        site = session.get(Site, sid)
        assert site is not None
        token = rotate(site)
        changelog.record(session, ids)  # as an importer records what it stored
        session.commit()
    script = tmp_path / "cache-mentions.mjs"
    script.write_text(_script())
    cache_file = tmp_path / "mentions.json"
    web, base = start_web(settings, tmp_path / "web.log")
    try:

        def build() -> dict[str, Any]:
            env = {**os.environ, "PINGSVC_URL": base, "PINGSVC_TOKEN": token,
                   "CACHE_FILE": str(cache_file)}  # fmt: skip
            done = subprocess.run(
                ["node", str(script)], env=env, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
            entries: dict[str, Any] = json.loads(cache_file.read_text())["entries"]
            return entries

        def listed() -> dict[str, Any]:
            answer = requests.get(
                f"{base}/api/mentions.jf2",
                params={"domain": "blog.example", "token": token, "per-page": 100},
                timeout=10,
            )
            return {str(c["wm-id"]): c for c in answer.json()["children"]}

        assert build() == listed() and len(listed()) == 3
        with services(app).db.session() as session:
            owner = Account(email="owner@example.com")
            session.add(owner)
            mention = session.get(Mention, ids[1])
            assert mention is not None
            moderation.decide(session, owner, mention, "delete")
            changelog.record(session, [ids[1]])
            session.commit()
        assert build() == listed() and str(ids[1]) not in listed() and len(listed()) == 2
    finally:
        web.stop()
