"""pingsvc.create_app's Flask: it remembers which functions are plain, and answers as Flask."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from flask import Flask


def flask_asks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The functions Flask's own ensure_sync is asked about from now on, in order."""
    asked: list[Any] = []
    original = Flask.ensure_sync

    def counting(self: Flask, func: Any) -> Any:
        asked.append(func)
        return original(self, func)

    monkeypatch.setattr(Flask, "ensure_sync", counting)
    return asked


def test_a_plain_function_is_run_as_it_is_and_asked_about_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = flask_asks(monkeypatch)

    def view() -> str:
        return "ok"

    bound = functools.partial(view)
    assert app.ensure_sync(view) is view and app.ensure_sync(view) is view
    assert app.ensure_sync(bound) is bound and app.ensure_sync(bound) is bound
    assert asked == [view, bound]
    assert app.test_client().get("/healthz").status_code in (200, 503)  # hooks and views run


def test_a_coroutine_function_is_handed_to_flask_once_a_call(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def view() -> str:
        return "ok"

    # Flask's async extra (asgiref) may be absent: a stand-in wrapper keeps the test about
    # how often Flask is asked, not about asgiref.
    wrappers: list[Any] = []

    def async_to_sync(self: Flask, func: Any) -> Any:
        wrappers.append(functools.partial(func))
        return wrappers[-1]

    monkeypatch.setattr(Flask, "async_to_sync", async_to_sync)
    asked = flask_asks(monkeypatch)
    first, second = app.ensure_sync(view), app.ensure_sync(view)
    assert (first, second) == tuple(wrappers) and first is not view
    assert asked == [view, view]


def test_an_unhashable_callable_is_asked_about_as_flask_does(app: Flask) -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> str:
            return "ok"

    func = Unhashable()
    assert app.ensure_sync(func) is func
