"""The pipeline's tests run on both databases: SQLite, and (integration) PostgreSQL + Redis."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def either_app(request: pytest.FixtureRequest) -> Flask:
    """The app on the embedded database, or the app of a production install."""
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "production_app")
    return app
