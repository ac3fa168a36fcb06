"""The tests' own HTTP servers stay quiet when a client hangs up, and loud about real bugs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dashboard import HookReceiver
from tests.support.pageserver import PageServer, QuietServer


@pytest.fixture(params=["pages", "hooks"])
def httpd(request: pytest.FixtureRequest) -> Iterator[QuietServer]:
    if request.param == "pages":
        pages = PageServer().start()
        yield pages.httpd
        pages.stop()
    else:
        hooks = HookReceiver()
        yield hooks.httpd
        hooks.stop()


def _report(httpd: QuietServer, error: Exception) -> None:
    """What socketserver does when a handler raises: handle_error inside the except block."""
    try:
        raise error
    except Exception:
        httpd.handle_error(None, ("127.0.0.1", 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("error", [ConnectionResetError(104, "reset"), BrokenPipeError(32, "pipe")])
def test_a_client_hanging_up_prints_no_traceback(
    httpd: QuietServer, error: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(httpd, error)
    assert capsys.readouterr().err == ""


def test_a_bug_in_a_handler_is_still_printed(
    httpd: QuietServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(httpd, ValueError("a real bug"))
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: a real bug" in err
