"""pingsvc: a self-hostable pingback and webmention receiver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pingsvc import config as settings
from pingsvc.db import POOL_SIZE, Database, Services, db_session, services

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Services", "create_app", "db_session", "services"]  # the last three: pingsvc.db's


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (code → PINGSVC_* env → test_config), database, Celery,
    blueprints and CLI. Nothing connects until a request or task needs it. Flask is imported
    here, not above: every pingsvc module imports this package first, and the pure stages
    (extract/, fetch/page.py, moderation.py) must not load the web framework with it."""
    from flask import Flask, Response, g
    from werkzeug.routing import IntegerConverter

    from pingsvc import http_errors, metrics, obs

    class RowId(IntegerConverter):
        """A row id in a URL: a whole number the database can hold (PostgreSQL's integer),
        so an absurd id is a plain 404 instead of a database error."""

        def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
            super().__init__(map, min=0, max=2**31 - 1)

    class App(Flask):
        """Flask, remembering which of its functions are plain ones: Flask asks `inspect`
        whether each hook and view is a coroutine function at every call, a dozen times a
        request (bench/README.md), and the answer for a function never changes."""

        def __init__(self, import_name: str) -> None:
            super().__init__(import_name)
            self._plain: dict[Any, bool] = {}

        def ensure_sync(self, func: Any) -> Any:
            try:
                plain = self._plain.get(func)
            except TypeError:  # an unhashable callable: asked every time, as Flask does
                return super().ensure_sync(func)
            if plain is None:
                if len(self._plain) >= 4096:  # functions made per request: never unbounded
                    self._plain.clear()
                wrapped = super().ensure_sync(func)
                self._plain[func] = wrapped is func
                return wrapped
            return func if plain else super().ensure_sync(func)

    app = App(__name__)
    app.url_map.converters["id"] = RowId
    config = settings.load(test_config)
    app.config.update(config)
    app.config["SECRET_KEY"] = settings.ensure_secret_key(config)
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_REQUEST_BYTES"]
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    obs.configure_logging(config["LOG_LEVEL"])

    from pingsvc.pipeline.steps import PipelineSettings

    app.extensions["pingsvc"] = Services(
        db=Database(config["DATABASE_URL"], pool_size=max(POOL_SIZE, int(config["WEB_THREADS"]))),
        pipeline=PipelineSettings.from_config(config),
    )

    from pingsvc import home, limits, widget
    from pingsvc.api import views as api
    from pingsvc.avatars import views as avatars
    from pingsvc.receive import pingback, webmention
    from pingsvc.send import api as send_api
    from pingsvc.tasking import init_celery

    init_celery(app)
    obs.init_app(app)  # request ids and JSON access lines
    metrics.init_app(app)  # /metrics
    limits.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(webmention.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(send_api.bp)
    app.register_blueprint(widget.bp)
    app.register_blueprint(avatars.bp)
    app.register_blueprint(pingback.bp)

    http_errors.register(app)
    from pingsvc import retention
    from pingsvc.avatars import store as avatar_store
    from pingsvc.avatars import usage

    retention.erase_hooks(app.extensions).append(
        usage.erase_hook(app.extensions["pingsvc"].db, avatar_store.from_config(config))
    )

    from pingsvc import dashboard

    dashboard.init_app(app)  # the author's UI: login, CSRF, sites, inbox, moderation

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def advertise(response: Response) -> Response:
        base = app.config["BASE_URL"]
        response.headers.setdefault("X-Pingback", f"{base}/xmlrpc")
        response.headers.add("Link", f'<{base}/webmention>; rel="webmention"')
        return response

    return app
