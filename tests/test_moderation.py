"""moderation: the block rule as the verification reads it, and the verdict's order."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import literal, select

from pingsvc import moderation, services
from pingsvc.models import BlockRule, Site
from pingsvc.moderation import Standing


@pytest.mark.parametrize(
    ("rule_site", "kind", "value", "source", "blocked"),
    [
        ("own", "domain", "spam.example", "https://spam.example/a", True),
        ("own", "domain", "spam.example", "https://deep.www.spam.example/a", True),
        ("own", "domain", "spam.example", "https://notspam.example/a", False),
        ("own", "domain", "example", "https://spam.example/a", False),  # never a bare TLD
        ("every", "domain", "spam.example", "https://www.spam.example/a", True),
        ("other", "domain", "spam.example", "https://www.spam.example/a", False),
        ("own", "url", "https://spam.example/a", "https://spam.example/a", True),
        ("own", "url", "https://spam.example/a", "https://spam.example/b", False),
    ],
)  # fmt: skip
def test_a_block_rule_refuses_its_domain_and_subdomains_or_its_url_on_its_site(
    app: Flask, rule_site: str, kind: str, value: str, source: str, blocked: bool
) -> None:
    with services(app).db.session() as session:
        own = session.scalars(select(Site.id)).one()
        other = Site(host="other.example")
        session.add(other)
        session.flush()
        site_id = {"own": own, "every": None, "other": other.id}[rule_site]
        session.add(BlockRule(site_id=site_id, kind=kind, value=value))
        session.flush()
        found = session.scalar(
            select(moderation.blocking_rule(literal(own))),
            {"source": source, "domains": moderation.source_domains(source)},
        )
    assert bool(found) is blocked


def standing(**fields: object) -> Standing:
    values: dict[str, object] = {"status": "pending", "blocked": False, "decision": None,
                                 "policy": "publish", "approved_before": None}  # fmt: skip
    return Standing(**{**values, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({}, "approved"),
        ({"blocked": True, "decision": "approve", "status": "approved"}, "deleted"),
        ({"decision": "reject", "status": "approved"}, "rejected"),
        ({"decision": "approve", "policy": "hold_all"}, "approved"),
        ({"status": "held"}, "held"),  # an update keeps the earlier decision
        ({"status": "approved", "policy": "hold_all"}, "approved"),
        ({"status": "rejected", "policy": "hold_all"}, "held"),
        ({"policy": "hold_new", "approved_before": False}, "held"),
        ({"policy": "hold_new", "approved_before": True}, "approved"),
        ({"policy": None}, "approved"),  # the site is gone: the default policy
    ],
)
def test_the_verdict_is_block_then_owner_then_earlier_state_then_policy(
    fields: dict[str, object], verdict: str
) -> None:
    assert moderation.verdict(standing(**fields)) == verdict
