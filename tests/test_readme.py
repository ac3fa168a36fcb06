"""The README stays true: every setting and every command the code has is documented."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pingsvc import demo, services
from pingsvc.config import SETTINGS
from pingsvc.pipeline import steps
from pingsvc.receive.accept import accept
from tests.support.pageserver import PageServer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    missing = [name for name in SETTINGS if f"PINGSVC_{name}" not in README]
    assert missing == [], f"document these settings in README.md: {missing}"


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README


QUICK_START = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def _shown_answer(command: str) -> str:
    """The `# …` answer line the Quick start shows right after `command` (compact JSON, as
    curl prints the service's answers)."""
    after = QUICK_START.split(command + "\n", 1)[1]
    line = after.split("\n", 1)[0]
    assert line.startswith("# {"), f"the Quick start shows no answer to {command}"
    return line[2:]


def test_quick_start_shows_why_its_made_up_source_is_rejected(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = json.loads(_shown_answer("curl http://127.0.0.1:8080/webmention/status/18"))
    real = socket.getaddrinfo

    def no_such_host(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "alice.example":  # answered here: tests look up no names outside /etc/hosts
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    sent = re.search(r"curl -i -d source=(\S+) -d target=(\S+)", QUICK_START)
    assert sent
    mention_id = _send_and_verify(app, *sent.groups())
    answer = app.test_client().get(f"/webmention/status/{mention_id}").get_json()
    assert set(answer) == set(shown)  # anyone may ask: no source or target, the status says why
    assert {k: answer[k] for k in ("status", "protocol", "error")} == {
        k: shown[k] for k in ("status", "protocol", "error")
    }


def test_quick_start_local_example_is_verified_and_listed(app: Flask, pages: PageServer) -> None:
    page = QUICK_START.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    allowed = re.search(r"PINGSVC_FETCH_ALLOW=(\S+) make run", QUICK_START)
    served = re.search(r"http\.server (\d+) --bind (\S+) --directory (\S+)", QUICK_START)
    source = re.search(r"curl -d source=(\S+) -d target=(\S+)", QUICK_START)
    assert allowed and served and source
    port, host, folder = served.groups()
    assert allowed.group(1) == f"{host}:{port}"  # the allowed server is the one started
    assert source.group(1).startswith(f"http://{host}:{port}/")
    assert f"cat > {folder}/{source.group(1).rsplit('/', 1)[1]} <<'EOF'" in QUICK_START

    # The same page, served by the test's own server (which PINGSVC_FETCH_ALLOW allows).
    url = pages.add("/quickstart/" + source.group(1).rsplit("/", 1)[1], page)
    mention_id = _send_and_verify(app, url, source.group(2))
    client = app.test_client()
    status = client.get(f"/webmention/status/{mention_id}").get_json()
    assert f'"status":"{status["status"]}"' in _shown_answer(
        "curl http://127.0.0.1:8080/webmention/status/19"
    )
    listed = client.get("/api/mentions.jf2", query_string={"target": source.group(2)}).get_json()
    (entry,) = listed["children"]
    shown = _shown_answer(f"curl 'http://127.0.0.1:8080/api/mentions.jf2?target={source.group(2)}'")
    for field in (
        f'"name":"{entry["author"]["name"]}"',
        f'"text":"{entry["content"]["text"]}"',
        f'"wm-property":"{entry["wm-property"]}"',
    ):
        assert field in shown


def test_quick_start_ids_are_the_ones_after_the_demos_mentions(app: Flask) -> None:
    """make run seeds the demo first: the Quick start's two webmentions come after it."""
    shared = services(app)
    with shared.db.session() as session:
        assert demo.seed(session, "http://127.0.0.1:8080")
        session.commit()
    sent = re.findall(r"curl (?:-i )?-d source=(\S+) -d target=(\S+)", QUICK_START)
    ids = [
        accept(shared.db, source, target, "webmention", lambda _id: None).mention_id
        for source, target in sent
    ]
    assert len(ids) == 2
    assert f"# Location: http://127.0.0.1:8080/webmention/status/{ids[0]}\n" in QUICK_START
    assert f"curl http://127.0.0.1:8080/webmention/status/{ids[0]}\n" in QUICK_START
    assert f"curl http://127.0.0.1:8080/webmention/status/{ids[1]}\n" in QUICK_START
    assert f"follow the demo's {len(demo.SAMPLES)} sample mentions" in QUICK_START


def _send_and_verify(app: Flask, source: str, target: str) -> int:
    """What POST /webmention and the worker do, in this process."""
    shared = services(app)
    mention_id = accept(shared.db, source, target, "webmention", lambda _id: None).mention_id
    steps.process_mention(shared.db, mention_id, shared.pipeline)
    return mention_id
