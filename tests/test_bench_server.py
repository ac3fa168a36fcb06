"""bench/accept.py's --server choices: the commands each setup runs."""

from __future__ import annotations

import pytest

from bench.common import Server
from pingsvc.cli import web_command


def test_a_server_is_parsed_with_its_size_and_backpressure() -> None:
    assert Server.parse("granian", 2, 8) == Server("granian", 2, 8)
    assert Server.parse("gunicorn:4x2", 2, 8) == Server("gunicorn", 4, 2)
    assert Server.parse("granian:2x8:16", 2, 8) == Server("granian", 2, 8, 16)
    with pytest.raises(SystemExit):
        Server.parse("uwsgi", 2, 8)


def test_granian_is_pingsvc_webs_own_command_and_serves_other_apps_without_the_factory() -> None:
    own = Server("granian", 2, 8).command(9000, "pingsvc")
    assert own == web_command("127.0.0.1", 9000, 2, 8)
    bare = Server("granian", 2, 8, 8).command(9000, "bench.bare_app:app")
    assert "--factory" not in bare and bare[-1] == "bench.bare_app:app"
    assert bare[bare.index("--backpressure") + 1] == "8"


def test_gunicorn_is_the_gthread_worker_pingsvc_ran_before() -> None:
    command = Server("gunicorn", 2, 4).command(9000, "pingsvc")
    flags = dict(zip(command, command[1:], strict=False))
    assert flags["--worker-class"] == "gthread" and flags["--threads"] == "4"
    assert flags["--keep-alive"] == "0" and command[-1] == "pingsvc:create_app()"
