"""What the embedded broker (kombu's filesystem transport under VAR_DIR) holds for a worker."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from flask import Flask


def queued_tasks(app: Flask) -> list[tuple[str, list[Any]]]:
    """(task name, arguments) of every message waiting on the app's queue, sorted: the
    transport names its files by the millisecond, so their order within one is arbitrary."""
    folder = Path(app.config["VAR_DIR"]) / "queue"
    sent = []
    for path in folder.glob(f"*.{app.config['QUEUE']}.msg"):
        message = json.loads(path.read_text())
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        sent.append((str(message["headers"]["task"]), list(args)))
    return sorted(sent)
