"""What Celery beat runs (in `pingsvc serve`, the worker runs beat itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pingsvc.tasking import FEED_POLL_TASK, RETENTION_TASK, REVERIFY_TASK, SWEEP_TASK


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The periodic tasks: the sweeper (lost mentions, notifications and webhook deliveries)
    and, unless turned off, the hourly re-verification of mentions verified long ago and the
    poll of the watched feeds every PINGSVC_FEED_INTERVAL seconds; and the hourly retention
    run (a site without rules costs nothing: the run reads only sites that have some)."""
    schedule: dict[str, dict[str, Any]] = {
        "sweep-lost-pending-mentions": {
            "task": SWEEP_TASK,
            "schedule": float(config["SWEEP_INTERVAL"]),
        }
    }
    if float(config["REVERIFY_AFTER_DAYS"]) > 0:
        schedule["reverify-old-mentions"] = {"task": REVERIFY_TASK, "schedule": 3600.0}
    feeds = float(config.get("FEED_INTERVAL", 0))  # the app's config always has it
    if feeds > 0:
        schedule["poll-watched-feeds"] = {"task": FEED_POLL_TASK, "schedule": feeds}
    schedule["apply-retention-rules"] = {"task": RETENTION_TASK, "schedule": 3600.0}
    return schedule
