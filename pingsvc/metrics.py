"""Prometheus metrics at /metrics. Counters and the fetch latency histogram are written by
every web and worker process into prometheus_client's multiprocess files (a folder under
VAR_DIR, or PROMETHEUS_MULTIPROC_DIR), so one scrape sees them all; queue depth and webhook
deliveries are read from the database at scrape time, so they are right whoever changed them."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

log = logging.getLogger(__name__)

# Every metric has labels, so no value exists (and no file is chosen) before `setup` runs.
RECEIVED = Counter(
    "pingsvc_mentions_received",
    "Mentions accepted for verification, by protocol.",
    ["protocol"],
    registry=None,
)
VERIFIED = Counter(
    "pingsvc_mentions_verified",
    "Verifications that reached a verdict, by protocol and verdict.",
    ["protocol", "status"],
    registry=None,
)
REJECTED = Counter(
    "pingsvc_mentions_rejected",
    "Verifications that ended without a post, by protocol and reason (error_kind).",
    ["protocol", "reason"],
    registry=None,
)
RETRIED = Counter(
    "pingsvc_verify_retries",
    "Transient fetch failures that put a verification back in the queue, by protocol.",
    ["protocol"],
    registry=None,
)
SENT = Counter(
    "pingsvc_sent",
    "Webmentions and pingbacks sent that reached a final status, by protocol (none: no "
    "endpoint found) and status (accepted, not_supported, error).",
    ["protocol", "status"],
    registry=None,
)
FETCH_SECONDS = Histogram(
    "pingsvc_fetch_seconds",
    "Time to fetch a source page, by outcome (ok, or the failure's error_kind).",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=None,
)

_directory: str | None = None


def setup(var_dir: str) -> str:
    """Choose this process's metrics folder (once): PROMETHEUS_MULTIPROC_DIR when set, else
    VAR_DIR/metrics; child processes inherit it through the environment."""
    global _directory
    if _directory is None:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(Path(var_dir) / "metrics")
        Path(directory).mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        if not getattr(values.ValueClass, "_multiprocess", False):
            values.ValueClass = values.MultiProcessValue(process_identifier=process_id)
        _directory = directory
    return _directory


_HOST = socket.gethostname()


def process_id() -> str:
    """Names this process's metric files: host and pid, because containers sharing the folder
    (web, worker) each have their own pid 1, 7, 8... prometheus_client calls it on every
    update (to notice a fork), so the host name is read once, not a system call each time."""
    return f"{_HOST}-{os.getpid()}"


def clear(directory: str) -> None:
    """Remove the files of processes that are gone (only while none of them runs)."""
    for path in Path(directory).glob("*.db"):
        path.unlink(missing_ok=True)


def mention_received(protocol: str) -> None:
    RECEIVED.labels(protocol).inc()


def verdict(protocol: str, status: str, reason: str | None = None) -> None:
    """Count one verification's verdict; a rejection or deletion also counts its reason."""
    VERIFIED.labels(protocol, status).inc()
    if reason:
        REJECTED.labels(protocol, reason).inc()


def retried(protocol: str) -> None:
    RETRIED.labels(protocol).inc()


def sent(protocol: str | None, status: str) -> None:
    SENT.labels(protocol or "none", status).inc()


def fetched(seconds: float, outcome: str) -> None:
    FETCH_SECONDS.labels(outcome).observe(seconds)


class DatabaseCollector(Collector):
    """Gauges that are facts about the stored data, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from pingsvc.db import services
        from pingsvc.models import QUEUED, Mention, Outgoing, WebhookDelivery

        queued = GaugeMetricFamily(
            "pingsvc_queue_depth", "Mentions whose verification is queued or waiting to retry."
        )
        deliveries = GaugeMetricFamily(
            "pingsvc_webhook_deliveries",
            "Webhook deliveries by state (failed: gave up after every try).",
            labels=["status"],
        )
        sending = GaugeMetricFamily(
            "pingsvc_send_queue_depth", "Outgoing webmentions and pingbacks queued or retrying."
        )
        with services(self.app).db.session() as session:
            depth = session.scalar(select(func.count()).where(Mention.queued_at.is_not(None)))
            queued.add_metric([], float(depth or 0))
            unsent = session.scalar(select(func.count()).where(Outgoing.status == QUEUED))
            sending.add_metric([], float(unsent or 0))
            rows = session.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ).all()
        counts = {"queued": 0, "retrying": 0, "delivered": 0, "failed": 0}
        counts.update({status: count for status, count in rows})
        for status, count in sorted(counts.items()):
            deliveries.add_metric([status], count)
        yield queued
        yield sending
        yield deliveries
        broker = self._broker_depth()
        if broker is not None:
            yield broker

    def _broker_depth(self) -> GaugeMetricFamily | None:
        """Messages waiting in the Redis queue (not counting ones a worker has prefetched)."""
        url = self.app.config.get("REDIS_URL")
        if not url:
            return None
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            length = client.llen(self.app.config["QUEUE"])
        except redis.RedisError as exc:
            log.warning("metrics: could not read the broker queue length (%s)", exc)
            return None
        finally:
            client.close()
        gauge = GaugeMetricFamily(
            "pingsvc_broker_queue_length", "Messages waiting in the broker queue."
        )
        gauge.add_metric([], float(length))  # type: ignore[arg-type]
        return gauge


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=current_app.extensions["pingsvc_metrics_dir"])
    registry.register(DatabaseCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.extensions["pingsvc_metrics_dir"] = setup(app.config["VAR_DIR"])
    app.register_blueprint(bp)


__all__: list[Any] = ["init_app", "mention_received", "verdict", "retried", "sent", "fetched"]
