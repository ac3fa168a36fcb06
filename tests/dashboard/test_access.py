"""Who may see and do what in the dashboard (pingsvc.dashboard.access): every rule, URL
guessing included; an owner sees and acts on their own sites only, an admin on all."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.models import (
    BlockRule,
    Mention,
    ModerationAction,
    Outgoing,
    Site,
    Webhook,
    WebhookDelivery,
)
from tests.dashboard.conftest import BOB_POST, World
from tests.support.dashboard import Browser, mention_row


def _snapshot(app: Flask) -> tuple[object, ...]:
    """Everything an action could change on bob's side."""
    with services(app).db.session() as session:
        bob_site = session.scalar(select(Site).where(Site.host == "bob.example"))
        assert bob_site is not None
        return (
            [
                (m.id, m.status, m.queued_at, m.content_text)
                for m in session.scalars(select(Mention))
            ],
            (bob_site.policy, bob_site.token_hash, bob_site.email_notify, bob_site.owner_id),
            (bob_site.retain_rejected_days, bob_site.retain_deleted_days, bob_site.spam_threshold),
            session.scalar(select(func.count()).select_from(BlockRule)),
            session.scalar(select(func.count()).select_from(Webhook)),
            session.scalar(select(func.count()).select_from(WebhookDelivery)),
            session.scalar(select(func.count()).select_from(ModerationAction)),
            [(o.id, o.status, o.queued_at) for o in session.scalars(select(Outgoing))],
        )


# -- permissions: an owner can't see or act on another owner's site or mention ----------------

# Every dashboard URL that names an object, aimed at bob's objects (and at ids that don't
# exist: a guessed id must answer exactly like someone else's).
FOREIGN_GETS = [
    "/dashboard/sites/{bob_site}",
    "/dashboard/sites/{orphan_site}",
    "/dashboard/mentions/{bob_mention}",
    "/dashboard/webhooks/{bob_hook}",
    "/dashboard/post?target=" + BOB_POST,
    "/dashboard/inbox?site={bob_site}",
    "/dashboard/sites/{bob_site}/sent",
    "/dashboard/sites/{orphan_site}/sent",
    "/dashboard/sent/post?source=" + BOB_POST,
    "/dashboard/sites/{bob_site}/export",
    "/dashboard/imports/{bob_import}",
]
FOREIGN_POSTS = [
    ("/dashboard/mentions/{bob_mention}/moderate", {"action": "approve"}),
    ("/dashboard/mentions/{bob_mention}/moderate", {"action": "delete"}),
    ("/dashboard/mentions/{bob_mention}/moderate", {"action": "reverify"}),
    ("/dashboard/mentions/bulk", {"action": "reject", "ids": ["{alice_mention}", "{bob_mention}"]}),
    ("/dashboard/mentions/{bob_mention}/block", {"kind": "domain"}),
    ("/dashboard/sites/{bob_site}/check", {"url": ""}),
    ("/dashboard/sites/{bob_site}/policy", {"policy": "hold_all"}),
    ("/dashboard/sites/{bob_site}/email", {"email_notify": "on"}),
    ("/dashboard/sites/{bob_site}/token", {}),
    ("/dashboard/sites/{bob_site}/blocks", {"kind": "domain", "value": "x.example"}),
    ("/dashboard/sites/{bob_site}/webhooks", {"url": "https://127.0.0.1:9/x"}),
    ("/dashboard/sites/{orphan_site}/policy", {"policy": "hold_all"}),
    ("/dashboard/blocks/{bob_rule}/delete", {}),
    ("/dashboard/webhooks/{bob_hook}/test", {}),
    ("/dashboard/webhooks/{bob_hook}/delete", {}),
    ("/dashboard/deliveries/{bob_delivery}/resend", {}),
    ("/dashboard/send", {"url": BOB_POST}),
    ("/dashboard/sends/{bob_send}/resend", {}),
    ("/dashboard/sites/{bob_site}/spam", {"threshold": "10"}),
    ("/dashboard/sites/{bob_site}/retention", {"rejected_days": "1", "deleted_days": "1"}),
    ("/dashboard/sites/{bob_site}/forget", {"kind": "domain", "value": "x.example"}),
    ("/dashboard/mentions/{bob_mention}/forget", {"kind": "domain"}),
    ("/dashboard/mentions/{bob_mention}/forget", {"kind": "author"}),
]


def _fill(template: str, world: World) -> str:
    return template.format(**world.__dict__)


def test_the_permission_table_covers_every_dashboard_url_that_names_an_object(
    app: Flask,
) -> None:
    named = {
        re.sub(r"<id:\w+>", "ID", r.rule)
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/dashboard") and "<id:" in r.rule
    }
    covered = {
        re.sub(r"\{\w+\}", "ID", t.split("?")[0])
        for t in FOREIGN_GETS + [p for p, _ in FOREIGN_POSTS]
    }
    assert len(named) >= 10, "the route pattern changed: update this test's regex"
    assert named <= covered, f"add these to the permission tests: {named - covered}"


@pytest.mark.parametrize("template", FOREIGN_GETS)
def test_an_owner_cannot_see_another_owners_objects(
    world: World, alice: Browser, template: str
) -> None:
    answer = alice.get(_fill(template, world))
    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert (
        "Bert Bob-fan" not in text and "secret bob words" not in text and "bob-secret" not in text
    )


@pytest.mark.parametrize(("template", "data"), FOREIGN_POSTS)
def test_an_owner_cannot_act_on_another_owners_objects(
    world: World, alice: Browser, template: str, data: dict[str, object]
) -> None:
    before = _snapshot(world.app)
    form = {k: [_fill(x, world) for x in v] if isinstance(v, list) else v for k, v in data.items()}
    answer = alice.post(_fill(template, world), form)
    assert answer.status_code == 404
    assert _snapshot(world.app) == before


@pytest.mark.parametrize(
    "path",
    ["/dashboard/sites/{x}", "/dashboard/mentions/{x}", "/dashboard/webhooks/{x}"],
)
def test_a_guessed_id_answers_like_someone_elses(world: World, alice: Browser, path: str) -> None:
    missing = alice.get(path.format(x=987654))
    foreign_id = {"sites": world.bob_site, "mentions": world.bob_mention,
                  "webhooks": world.bob_hook}[path.split("/")[2]]  # fmt: skip
    foreign = alice.get(path.format(x=foreign_id))
    assert missing.status_code == foreign.status_code == 404
    assert missing.get_data() == foreign.get_data()


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/deliveries/{x}/resend",
        "/dashboard/blocks/{x}/delete",
        "/dashboard/sends/{x}/resend",
    ],
)
def test_a_guessed_id_in_a_form_answers_404(world: World, alice: Browser, path: str) -> None:
    assert alice.post(path.format(x=987654)).status_code == 404


def test_an_owner_sees_only_their_sites(world: World, alice: Browser) -> None:
    text = alice.text("/dashboard/sites")
    assert "blog.example" in text
    assert "bob.example" not in text and "orphan.example" not in text


def test_the_inbox_shows_only_the_owners_mentions(world: World, alice: Browser) -> None:
    text = alice.text("/dashboard/inbox")
    assert "Ada Alice-fan" in text and "Bert Bob-fan" not in text
    assert "Bert Bob-fan" not in alice.text("/dashboard/inbox?q=Bert")
    assert "Bert Bob-fan" not in alice.text("/dashboard/inbox?state=held")


def test_the_overview_counts_only_the_owners_mentions(world: World, alice: Browser) -> None:
    text = alice.text("/dashboard/")
    assert "Bert Bob-fan" not in text and "bob.example" not in text
    assert re.search(r"<strong>0</strong> waiting for review", text)
    assert re.search(r"<strong>1</strong> shown", text)


def test_adding_a_site_someone_else_registered_is_refused(world: World, alice: Browser) -> None:
    before = _snapshot(world.app)
    answer = alice.post("/dashboard/sites", {"host": "https://Bob.Example/some/page"})
    assert answer.status_code == 409
    assert "already registered" in answer.get_data(as_text=True)
    assert _snapshot(world.app) == before


def test_an_admin_sees_and_acts_on_every_site(world: World, admin: Browser) -> None:
    sites = admin.text("/dashboard/sites")
    assert all(h in sites for h in ("blog.example", "bob.example", "orphan.example"))
    assert "Bert Bob-fan" in admin.text(f"/dashboard/mentions/{world.bob_mention}")
    assert "Bert Bob-fan" in admin.text("/dashboard/inbox")
    assert admin.get(f"/dashboard/sites/{world.orphan_site}").status_code == 200
    answer = admin.post(f"/dashboard/mentions/{world.bob_mention}/moderate", {"action": "approve"})
    assert answer.status_code == 303
    assert mention_row(world.app, world.bob_mention).status == "approved"
    assert admin.get(f"/dashboard/webhooks/{world.bob_hook}").status_code == 200


def test_an_owner_acts_on_their_own_mentions(world: World, alice: Browser) -> None:
    answer = alice.post(f"/dashboard/mentions/{world.alice_mention}/moderate", {"action": "hold"})
    assert answer.status_code == 303
    assert mention_row(world.app, world.alice_mention).status == "held"
