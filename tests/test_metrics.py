"""/metrics: Prometheus counters shared by every web and worker process (multiprocess files),
and gauges read from the database at scrape time."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from pingsvc import services
from pingsvc.models import Mention, Site, Webhook, WebhookDelivery
from pingsvc.pipeline import steps
from tests.conftest import TARGET, make_app
from tests.support.pageserver import PageServer
from tests.support.services import start_worker, wait_for

LIKE = """<article class="h-entry"><a class="p-author h-card" href="/">Dana</a> liked
<a class="u-like-of" href="https://blog.example/post/1">this</a></article>"""


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def post(client: FlaskClient, source: str, target: str = TARGET) -> int:
    answer = client.post("/webmention", data={"source": source, "target": target})
    assert answer.status_code == 201, answer.get_json()
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def verify_now(app: Flask, mention_id: int) -> steps.Outcome | None:
    shared = services(app)
    return steps.process_mention(shared.db, mention_id, shared.pipeline)


def test_an_accepted_webmention_counts_as_received_and_queued(
    client: FlaskClient, pages: PageServer
) -> None:
    before = scrape(client)
    post(client, pages.add("/metrics/received.html", LIKE))
    after = scrape(client)
    received = "pingsvc_mentions_received_total"
    assert value(after, received, protocol="webmention") == (
        value(before, received, protocol="webmention") + 1
    )
    assert value(after, "pingsvc_queue_depth") == 1


def test_verdicts_count_by_status_and_rejections_by_reason(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    before = scrape(client)
    verify_now(app, post(client, pages.add("/metrics/like.html", LIKE)))
    verify_now(app, post(client, pages.add("/metrics/nolink.html", "<p>no link here</p>")))
    verify_now(app, post(client, pages.add("/metrics/404.html", "gone", status=404)))
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    verified = "pingsvc_mentions_verified_total"
    assert delta(verified, protocol="webmention", status="approved") == 1
    assert delta(verified, protocol="webmention", status="rejected") == 2
    rejected = "pingsvc_mentions_rejected_total"
    assert delta(rejected, protocol="webmention", reason="no_link") == 1
    assert delta(rejected, protocol="webmention", reason="not_found") == 1
    assert delta("pingsvc_fetch_seconds_count", outcome="ok") == 2
    assert delta("pingsvc_fetch_seconds_count", outcome="not_found") == 1
    assert value(after, "pingsvc_queue_depth") == 0


def test_a_transient_failure_counts_a_retry(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    before = scrape(client)
    mention_id = post(client, pages.add("/metrics/503.html", "busy", status=503))
    with pytest.raises(steps.RetryLater):
        verify_now(app, mention_id)
    after = scrape(client)
    retries = "pingsvc_verify_retries_total"
    assert value(after, retries, protocol="webmention") == (
        value(before, retries, protocol="webmention") + 1
    )
    assert value(after, "pingsvc_queue_depth") == 1  # still queued, waiting for its retry
    upstream = value(after, "pingsvc_fetch_seconds_count", outcome="upstream")
    assert upstream == value(before, "pingsvc_fetch_seconds_count", outcome="upstream") + 1


def test_webhook_deliveries_are_counted_by_state_from_the_database(
    app: Flask, client: FlaskClient
) -> None:
    with services(app).db.session() as session:
        site = session.query(Site).one()
        hook = Webhook(site=site, url="https://hooks.example/in", secret="s")
        session.add(hook)
        session.flush()
        for status in ("failed", "failed", "retrying", "delivered"):
            session.add(WebhookDelivery(webhook_id=hook.id, event="new", status=status))
        session.commit()
    samples = scrape(client)
    deliveries = "pingsvc_webhook_deliveries"
    assert value(samples, deliveries, status="failed") == 2
    assert value(samples, deliveries, status="retrying") == 1
    assert value(samples, deliveries, status="delivered") == 1
    assert value(samples, deliveries, status="queued") == 0


def test_the_broker_queue_length_is_read_from_redis(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, pages: PageServer
) -> None:
    app = make_app(production_settings, monkeypatch)
    try:
        client = app.test_client()
        post(client, pages.add("/metrics/redis-like.html", LIKE))
        post(client, pages.add("/metrics/redis-like2.html", LIKE))
        samples = scrape(client)
        # No worker consumes this test's queue: both messages wait in Redis.
        assert value(samples, "pingsvc_broker_queue_length") == 2
        assert value(samples, "pingsvc_queue_depth") == 2
    finally:
        services(app).db.dispose()
        redis.Redis.from_url(production_settings["PINGSVC_REDIS_URL"]).delete(
            production_settings["PINGSVC_QUEUE"]
        )


@pytest.mark.integration
def test_a_worker_process_counts_are_seen_by_the_web_process(
    settings: dict[str, str], pages: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = make_app(settings, monkeypatch)
    client = app.test_client()
    before = scrape(client)
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        mention_id = post(client, pages.add("/metrics/worker-like.html", LIKE))

        def verified() -> bool:
            with services(app).db.session() as session:
                mention = session.get(Mention, mention_id)
                return mention is not None and mention.status == "approved"

        assert wait_for(verified, 30), worker.output()
    finally:
        worker.stop()
        services(app).db.dispose()
    after = scrape(client)
    # This test process verified nothing itself: the counts come from the worker's files.
    verified_total = "pingsvc_mentions_verified_total"
    labels = {"protocol": "webmention", "status": "approved"}
    assert value(after, verified_total, **labels) == value(before, verified_total, **labels) + 1
    fetches = "pingsvc_fetch_seconds_count"
    assert value(after, fetches, outcome="ok") == value(before, fetches, outcome="ok") + 1
