"""The baseline for the accept benchmark: a bare Flask endpoint that answers 202 and does
nothing else, served by the same gunicorn settings as pingsvc."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.post("/webmention")
def webmention() -> tuple[str, int]:
    return "", 202


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
