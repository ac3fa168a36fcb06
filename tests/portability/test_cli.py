"""`pingsvc import`: one summary line, clear errors without a traceback, and no fetch at all
unless --verify."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pingsvc import create_app, services
from pingsvc.cli import main
from pingsvc.migrate import upgrade
from pingsvc.models import Mention, Site
from tests.portability.helpers import FILES
from tests.support.dashboard import Trap


@pytest.fixture
def cli(settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def _mentions() -> list[Mention]:
    app = create_app()
    with services(app).db.session() as session:
        rows = list(session.scalars(select(Mention).order_by(Mention.id)))
    services(app).db.dispose()
    return rows


def test_import_prints_one_summary_line_and_again_says_already_imported(cli: CliRunner) -> None:
    files = [str(FILES / "webmention-io-links.json"), str(FILES / "wordpress.xml")]
    first = cli.invoke(main, ["import", *files, "--site", "blog.example"])
    assert first.exit_code == 0, first.output
    assert first.stdout == "imported 17, updated 0, skipped 0\n"
    again = cli.invoke(main, ["import", *files, "--site", "blog.example"])
    assert again.stdout == "imported 0, updated 0, skipped 17 (already imported)\n"
    app = create_app()
    with services(app).db.session() as session:
        assert session.scalar(select(Site.host)) == "blog.example"  # registered by --site
    services(app).db.dispose()


def test_several_pages_and_a_forced_format(cli: CliRunner) -> None:
    pages = [str(FILES / "webmention-io-feed.jf2"), str(FILES / "webmention-io-feed-page2.jf2")]
    done = cli.invoke(
        main, ["import", *pages, "--site", "https://Blog.Example/", "--format", "webmention-io"]
    )
    assert done.stdout == "imported 7, updated 0, skipped 0\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("webmention-io-malformed.jf2", "webmention-io-malformed.jf2 line 17 column 7"),
        ("wordpress-malformed.xml", "wordpress-malformed.xml line 80 column 27"),
        (
            "wordpress-comment-without-id.xml",
            "wordpress-comment-without-id.xml line 257, element <wp:comment>",
        ),
    ],
)
def test_a_malformed_file_exits_non_zero_naming_where(
    cli: CliRunner, name: str, message: str
) -> None:
    done = cli.invoke(main, ["import", str(FILES / name), "--site", "blog.example"])
    assert done.exit_code == 1
    assert f"error: {message}" in done.stderr
    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_a_file_of_another_format_needs_the_site(cli: CliRunner) -> None:
    done = cli.invoke(main, ["import", str(FILES / "wordpress.xml")])
    assert done.exit_code == 1
    assert "give --site HOST" in done.stderr


def test_a_missing_file_is_a_clear_error(cli: CliRunner, tmp_path: Path) -> None:
    done = cli.invoke(main, ["import", str(tmp_path / "nope.json"), "--site", "blog.example"])
    assert done.exit_code != 0
    assert "Traceback" not in done.output and "nope.json" in done.output


def test_a_pingsvc_export_needs_the_restore_of_this_version(cli: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "backup.jsonl"
    export.write_text(json.dumps({"format": "pingsvc-export", "version": 1}) + "\n")
    done = cli.invoke(main, ["import", str(export)])
    try:
        from pingsvc.portability import restore  # noqa: F401
    except ImportError:
        assert done.exit_code == 1
        assert "not available" in done.stderr
    else:  # the export branch is merged: restore reads it
        assert done.exit_code == 0, done.output


def test_nothing_is_fetched_without_verify(
    cli: CliRunner, settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with Trap() as trap:
        # Sources, author pages and avatars all on a loopback port that may be fetched: any
        # request the import made would reach the trap.
        monkeypatch.setenv(
            "PINGSVC_FETCH_ALLOW", f"{settings['PINGSVC_FETCH_ALLOW']},127.0.0.1:{trap.port}"
        )
        base = f"http://127.0.0.1:{trap.port}"
        page = {
            "type": "feed",
            "children": [
                {
                    "wm-id": n,
                    "wm-source": f"{base}/post/{n}",
                    "wm-target": "https://blog.example/post/1",
                    "wm-received": "2021-03-04T05:06:07Z",
                    "wm-property": "in-reply-to",
                    "url": f"{base}/post/{n}",
                    "author": {"name": "T", "url": f"{base}/", "photo": f"{base}/me.png"},
                    "content": {"html": f'<p><img src="{base}/i.png"> hi</p>'},
                }
                for n in range(1, 4)
            ],
        }
        path = tmp_path / "trap.jf2"
        path.write_text(json.dumps(page))
        done = cli.invoke(main, ["import", str(path), "--site", "blog.example"])
        assert done.stdout == "imported 3, updated 0, skipped 0\n", done.output
        assert trap.connections == 0
    assert [m.queued_at for m in _mentions()] == [None, None, None]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar_and_stdout_only_the_summary(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pingsvc.portability import command

    terminal = _Terminal()
    monkeypatch.setattr(command.sys, "stderr", terminal)
    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    status = command.run(app, [str(FILES / "wordpress.xml")], "blog.example", None, False)
    services(app).db.dispose()
    assert status == 0
    assert "importing" in terminal.getvalue() and "100%" in terminal.getvalue()
    assert capsys.readouterr().out == "imported 12, updated 0, skipped 0\n"
