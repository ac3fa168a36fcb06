"""The overview page: thirty days of mentions a day, the top sources and what waits."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from pingsvc.models import utcnow
from tests.dashboard.conftest import ALICE_POST, World
from tests.support.dashboard import Browser, add_account, add_site, mention_row
from tests.support.mentions import add_mention


def test_the_overview_charts_thirty_days_and_lists_sources_and_waiting(
    world: World, alice: Browser
) -> None:
    now = utcnow()
    spread = [(0, "a.example"), (0, "a.example"), (2, "b.example"), (40, "old.example")]
    for n, (days_ago, host) in enumerate(spread):
        add_mention(world.app, ALICE_POST, source=f"https://{host}/{n}",
                    received_at=now - timedelta(days=days_ago))  # fmt: skip
    add_mention(world.app, ALICE_POST, author_name="Waiting Wendy", status="held",
                received_at=now - timedelta(days=1), source="https://c.example/w")  # fmt: skip
    text = alice.text("/dashboard/")
    assert text.count("<rect ") == 30
    assert f"<title>{now.date().isoformat()}: 2</title>" in text
    assert f"<title>{(now - timedelta(days=1)).date().isoformat()}: 1</title>" in text
    sources = text[text.index("Top sources") :]
    assert sources.index("a.example") < sources.index("b.example")
    assert "old.example" not in sources
    assert "Waiting Wendy" in text


def test_the_overview_inbox_and_moderation_work_on_each_database(either_app: Flask) -> None:
    app = either_app
    owner = add_account(app, "alice@example.com")
    add_site(app, "blog.example", owner)
    now = utcnow()
    shown = add_mention(app, ALICE_POST, author_name="Pg Person", content_text="50% sure",
                        received_at=now, source="https://pg.example/1")  # fmt: skip
    add_mention(app, ALICE_POST, status="held", received_at=now - timedelta(days=1))
    alice = Browser(app.test_client(), "alice@example.com")
    overview = alice.text("/dashboard/")
    assert f"<title>{now.date().isoformat()}: 1</title>" in overview
    assert "pg.example" in overview
    assert "Pg Person" in alice.text("/dashboard/inbox?q=50%25&type=reply&state=approved")
    alice.post(f"/dashboard/mentions/{shown}/moderate", {"action": "reject"})
    assert mention_row(app, shown).status == "rejected"
    assert "rejected by alice@example.com" in alice.text("/dashboard/inbox?state=rejected")
