"""The inbox and its filters, the per-post view, one mention's page, and moderation from
them: single and bulk actions, re-verification, and blocking a mention's source."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.models import BlockRule, Mention, ModerationAction, utcnow
from pingsvc.pipeline.steps import process_mention
from pingsvc.tasking import NOTIFY_TASK
from tests.dashboard.conftest import ALICE_POST, World, receive_and_verify, reply_page
from tests.support.broker import queued_tasks
from tests.support.dashboard import Browser, mention_row
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer


def test_the_inbox_lists_newest_first_with_every_column(world: World, alice: Browser) -> None:
    older = add_mention(
        world.app, "https://blog.example/post/2", author_name="Older Author",
        received_at=utcnow() - timedelta(days=3), protocol="pingback",
    )  # fmt: skip
    newer = add_mention(
        world.app, "https://blog.example/post/3", author_name="Newer Author",
        received_at=utcnow(), property="like-of", name="A title",
        status="rejected", error="the source page does not link to the target",
    )  # fmt: skip
    text = alice.text("/dashboard/inbox")
    assert text.index(f'data-mention="{newer}"') < text.index(f'data-mention="{older}"')
    row = text[text.index(f'data-mention="{newer}"') :].split("</tr>")[0]
    for needle in ("Newer Author", ">like<", "A title", "blog.example/post/3",
                   "webmention", "rejected", "does not link to the target", "author"):  # fmt: skip
        assert needle in row, needle
    assert "pingback" in text[text.index(f'data-mention="{older}"') :].split("</tr>")[0]


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("type=like", "Liker", "Replier"),
        ("state=held", "Holder", "Replier"),
        ("q=zebra", "Zebra Person", "Replier"),
        ("q=ZEBRA", "Zebra Person", "Replier"),
        ("post=https://blog.example/post/9/", "Liker", "Replier"),
        ("post=http://blog.example/post/9", "Liker", "Replier"),
        ("site={alice_site}", "Replier", "Bert Bob-fan"),
    ],
)
def test_the_inbox_filters(
    world: World, alice: Browser, query: str, expected: str, absent: str
) -> None:
    add_mention(world.app, ALICE_POST, author_name="Replier")
    add_mention(world.app, "https://blog.example/post/9", author_name="Liker", property="like-of")
    add_mention(world.app, ALICE_POST, author_name="Holder", status="held")
    add_mention(world.app, ALICE_POST, author_name="Zebra Person", content_text="a zebra")
    text = alice.text("/dashboard/inbox?" + query.format(alice_site=world.alice_site))
    assert expected in text and absent not in text


def test_a_search_for_percent_signs_matches_them_literally(world: World, alice: Browser) -> None:
    add_mention(world.app, ALICE_POST, author_name="Percent", content_text="100% agree")
    add_mention(world.app, ALICE_POST, author_name="Other", content_text="100 agree")
    text = alice.text("/dashboard/inbox?q=100%25")
    assert "Percent" in text and ">Other<" not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [("type=poke", "type must be one of"), ("state=lost", "state must be one of"),
     ("site=abc", "site must be a whole number"), ("page=-1", "page must be 0 or more"),
     ("post=not-a-url", "post:")],
)  # fmt: skip
def test_bad_inbox_filters_get_a_clear_400(
    world: World, alice: Browser, query: str, message: str
) -> None:
    answer = alice.get("/dashboard/inbox?" + query)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


def test_the_inbox_pages_by_fifty(world: World, alice: Browser) -> None:
    for n in range(55):
        add_mention(world.app, ALICE_POST, author_name=f"Pager {n:02d}")
    first = alice.text("/dashboard/inbox")
    assert first.count('name="ids"') == 50 and "older →" in first
    second = alice.text("/dashboard/inbox?page=1")
    assert second.count('name="ids"') == 6 and "older →" not in second


def test_mention_data_is_escaped_everywhere(world: World, alice: Browser) -> None:
    evil = add_mention(
        world.app, ALICE_POST,
        author_name='<script>alert("name")</script>',
        author_url="javascript:alert(1)",
        name="<img src=x onerror=alert(2)>",
        content_text="<b>bold</b>",
        content_html='<p>hi</p><script>alert("content")</script><a href="javascript:x">l</a>',
        error="<i>reason</i>",
        status="rejected",
    )  # fmt: skip
    for path in ("/dashboard/inbox", f"/dashboard/mentions/{evil}",
                 f"/dashboard/post?target={ALICE_POST}", "/dashboard/"):  # fmt: skip
        text = alice.text(path)
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "javascript:" not in text, path
        assert "<i>reason</i>" not in text, path


def test_dashboard_pages_forbid_scripts_and_framing_from_elsewhere(
    world: World, alice: Browser
) -> None:
    answer = alice.get("/dashboard/inbox")
    assert "script-src" not in answer.headers["Content-Security-Policy"]  # default-src 'self'
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_the_post_view_shows_what_the_widget_shows_then_the_rest(
    world: World, alice: Browser
) -> None:
    add_mention(world.app, ALICE_POST, author_name="Shown Liker", property="like-of")
    add_mention(world.app, ALICE_POST, author_name="Held Person", status="held")
    add_mention(world.app, ALICE_POST + "/", author_name="Slash Variant",
                content_html="<p>Nice <em>post</em></p>")  # fmt: skip
    text = alice.text(f"/dashboard/post?target={ALICE_POST}")
    shown, hidden = text.split("Not shown")
    assert "Shown Liker" in shown and "Slash Variant" in shown and "Ada Alice-fan" in shown
    assert "<p>Nice <em>post</em></p>" in shown
    assert "Held Person" in hidden and "Held Person" not in shown


def test_the_post_view_needs_a_target(world: World, alice: Browser) -> None:
    answer = alice.get("/dashboard/post")
    assert answer.status_code == 400
    assert "?target=URL" in answer.get_data(as_text=True)


# -- moderation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "state"),
    [("approve", "approved"), ("hold", "held"), ("reject", "rejected"), ("delete", "deleted")],
)
def test_each_moderation_action_sets_the_state_and_is_logged(
    world: World, alice: Browser, action: str, state: str
) -> None:
    held = add_mention(world.app, ALICE_POST, status="held" if action != "hold" else "approved")
    answer = alice.post(f"/dashboard/mentions/{held}/moderate", {"action": action})
    assert answer.status_code == 303
    assert mention_row(world.app, held).status == state
    with services(world.app).db.session() as session:
        (entry,) = session.scalars(
            select(ModerationAction).where(ModerationAction.mention_id == held)
        )
        assert (entry.action, entry.actor, entry.account_id) == (
            action, "alice@example.com", world.alice)  # fmt: skip
        assert entry.created_at is not None
    page = alice.text(f"/dashboard/mentions/{held}")
    assert "alice@example.com" in page and f"<td>{action}</td>" in page


def test_an_unknown_action_is_a_clear_400(world: World, alice: Browser) -> None:
    answer = alice.post(f"/dashboard/mentions/{world.alice_mention}/moderate", {"action": "nuke"})
    assert answer.status_code == 400
    assert "approve, hold, reject, delete, reverify" in answer.get_data(as_text=True)


def test_reverify_queues_a_fresh_verification(world: World, alice: Browser) -> None:
    queue = Path(world.app.config["VAR_DIR"]) / "queue"
    before = set(queue.iterdir()) if queue.exists() else set()
    answer = alice.post(
        f"/dashboard/mentions/{world.alice_mention}/moderate", {"action": "reverify"}
    )
    assert answer.status_code == 303
    assert mention_row(world.app, world.alice_mention).queued_at is not None
    assert len(set(queue.iterdir()) - before) == 1  # one message for the worker
    status = alice.client.get(f"/webmention/status/{world.alice_mention}").get_json()
    assert status["status"] == "pending" and status["previous_status"] == "approved"


def test_bulk_actions_apply_to_the_whole_selection(world: World, alice: Browser) -> None:
    ids = [add_mention(world.app, ALICE_POST, status="held") for _ in range(3)]
    answer = alice.post(
        "/dashboard/mentions/bulk",
        {"action": "approve", "ids": [str(i) for i in ids], "next": "/dashboard/inbox?state=held"},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard/inbox?state=held"
    assert [mention_row(world.app, i).status for i in ids] == ["approved"] * 3
    # Sent once the decisions committed: the worker writes their webhooks and e-mail.
    assert queued_tasks(world.app) == [(NOTIFY_TASK, [i]) for i in ids]


@pytest.mark.parametrize(
    ("ids", "message"),
    [([], "Select at least one mention"), (["x"], "not a mention id")],
)
def test_a_bad_bulk_selection_is_a_clear_400(
    world: World, alice: Browser, ids: list[str], message: str
) -> None:
    answer = alice.post("/dashboard/mentions/bulk", {"action": "approve", "ids": ids})
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


def test_moderation_never_redirects_out_of_the_dashboard(world: World, alice: Browser) -> None:
    answer = alice.post(
        f"/dashboard/mentions/{world.alice_mention}/moderate",
        {"action": "hold", "next": "https://evil.example/"},
    )
    assert answer.headers["Location"] == f"/dashboard/mentions/{world.alice_mention}"


def test_the_owners_rejection_survives_a_resend(
    world: World, alice: Browser, pages: PageServer
) -> None:
    source = reply_page(pages, "/dash/sticky.html", ALICE_POST)
    mention_id = receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == "approved"
    alice.post(f"/dashboard/mentions/{mention_id}/moderate", {"action": "reject"})
    receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == "rejected"
    assert "rejected by alice@example.com" in alice.text("/dashboard/inbox?state=rejected")


# -- blocking a source ----------------------------------------------------------------------


def test_blocking_a_domain_deletes_its_mentions_and_refuses_resends(
    world: World, alice: Browser
) -> None:
    spam = add_mention(world.app, ALICE_POST, source="https://www.spam.example/a")
    sub = add_mention(world.app, ALICE_POST, source="https://deep.www.spam.example/b")
    kept = add_mention(world.app, ALICE_POST, source="https://notspam.example/c")
    answer = alice.post(f"/dashboard/mentions/{spam}/block", {"kind": "domain"})
    assert answer.status_code == 303
    assert mention_row(world.app, spam).status == "deleted"
    assert mention_row(world.app, sub).status == "deleted"
    assert mention_row(world.app, kept).status == "approved"
    assert queued_tasks(world.app) == [(NOTIFY_TASK, [spam]), (NOTIFY_TASK, [sub])]
    again = alice.client.post(
        "/webmention", data={"source": "https://www.spam.example/new", "target": ALICE_POST}
    )
    assert again.status_code == 400
    assert again.get_json()["error"] == "blocked"
    assert "not accepted by the site's owner" in again.get_json()["error_description"]
    with services(world.app).db.session() as session:
        stored = session.scalar(
            select(func.count()).select_from(Mention).where(Mention.source.like("%/new"))
        )
        assert stored == 0
    assert "block" in alice.text(f"/dashboard/sites/{world.alice_site}")


def test_blocking_a_url_blocks_only_that_url(world: World, alice: Browser) -> None:
    one = add_mention(world.app, ALICE_POST, source="https://mixed.example/bad")
    other = add_mention(world.app, ALICE_POST, source="https://mixed.example/good")
    alice.post(f"/dashboard/mentions/{one}/block", {"kind": "url"})
    assert mention_row(world.app, one).status == "deleted"
    assert mention_row(world.app, other).status == "approved"
    refused = alice.client.post(
        "/webmention", data={"source": "https://mixed.example/bad", "target": ALICE_POST}
    )
    accepted = alice.client.post(
        "/webmention", data={"source": "https://mixed.example/other", "target": ALICE_POST}
    )
    assert (refused.status_code, accepted.status_code) == (400, 201)


def test_a_source_blocked_while_queued_is_deleted_at_verification(
    world: World, alice: Browser, pages: PageServer
) -> None:
    source = reply_page(pages, "/dash/late-block.html", ALICE_POST)
    answer = alice.client.post("/webmention", data={"source": source, "target": ALICE_POST})
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    with services(world.app).db.session() as session:
        session.add(BlockRule(site_id=world.alice_site, kind="url", value=source))
        session.commit()
    process_mention(services(world.app).db, mention_id, services(world.app).pipeline)
    assert mention_row(world.app, mention_id).status == "deleted"
