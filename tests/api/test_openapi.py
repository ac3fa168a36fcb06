"""The read API keeps the promises of its OpenAPI description: schemathesis generates valid
and invalid requests from /api/openapi.json and runs them in-process against the WSGI app."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.mentions import add, mention_row, site_id

POST = "https://blog.example/post/1"
# Per operation and mode: enough to find a missing 400 or a wrong type, small enough to stay
# a few seconds for the 28 runs.
MAX_EXAMPLES = 25


def seed(app: Flask) -> None:
    """A few mentions of every kind, so the 200 answers have children to validate."""
    sid = site_id(app)
    kinds = ("reply", "like", "repost", "bookmark", "mention", "rsvp-yes", "rsvp-no")
    add(app, *(mention_row(sid, POST, kind=kind) for kind in kinds))
    add(app, mention_row(sid, "http://blog.example/post/1/", kind="reply", name="A title"))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("pinned", [{}, {"target": POST}], ids=["free", "seeded-target"])
def test_the_api_conforms_to_its_openapi_description(
    app: Flask, mode: GenerationMode, pinned: dict[str, str]
) -> None:
    """Every operation, with valid requests and with invalid ones; once with every parameter
    generated, once with target pinned to the seeded post so that most answers are 200s with
    children to validate. (Driven from a plain test rather than
    schemathesis.pytest.from_fixture, whose lazy loader does not run on pytest 9.)"""
    seed(app)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode, query=pinned or None))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # positive_data_acceptance is left out on purpose: OpenAPI cannot say "target or
            # token" (each optional, one needed), so a schema-valid request with neither is
            # a 400 by design. Every other check runs: no 500s, documented statuses, content
            # types and headers, bodies valid against the schemas, invalid input refused.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()


def test_openapi_document_is_served_with_every_path(app: Flask) -> None:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/mentions.jf2",
        "/api/mentions.json",
        "/api/mentions.atom",
        "/api/mentions.html",
        "/api/count.json",
        "/api/count",
        "/api/changes.json",
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
