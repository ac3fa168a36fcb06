"""The dashboard through the Flask test client: who may see and do what (every rule, URL
guessing included), sites and their tag check, the inbox and its filters, the per-post view,
moderation with its log, block rules, policies, tokens and the overview."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.models import (
    BlockRule,
    Mention,
    ModerationAction,
    Site,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from pingsvc.pipeline.steps import process_mention
from pingsvc.tokens import hash_token
from tests.conftest import make_app
from tests.support.dashboard import (
    Browser,
    Trap,
    add_account,
    add_mention,
    add_site,
    mention_row,
)
from tests.support.pageserver import PageServer

ALICE_POST = "https://blog.example/post/1"
BOB_POST = "https://bob.example/notes/7"


@dataclass
class World:
    """Two owners with a site each, an admin, and a site nobody owns."""

    app: Flask
    alice: int
    bob: int
    admin: int
    alice_site: int
    bob_site: int
    orphan_site: int
    alice_mention: int
    bob_mention: int
    bob_rule: int
    bob_hook: int
    bob_delivery: int


@pytest.fixture
def world(app: Flask) -> World:
    alice = add_account(app, "alice@example.com")
    bob = add_account(app, "bob@example.com")
    admin = add_account(app, "admin@example.com", admin=True)
    alice_site = add_site(app, "blog.example", alice)
    bob_site = add_site(app, "bob.example", bob)
    orphan_site = add_site(app, "orphan.example", None)
    alice_mention = add_mention(app, ALICE_POST, author_name="Ada Alice-fan")
    bob_mention = add_mention(
        app, BOB_POST, author_name="Bert Bob-fan", content_text="secret bob words", status="held"
    )
    with services(app).db.session() as session:
        rule = BlockRule(site_id=bob_site, kind="domain", value="spam.example")
        hook = Webhook(site_id=bob_site, url="https://hooks.bob.example/wm", secret="bob-secret")
        session.add_all([rule, hook])
        session.flush()
        delivery = WebhookDelivery(
            webhook_id=hook.id, mention_id=bob_mention, event="new", payload={}, status="failed"
        )
        session.add(delivery)
        session.commit()
        ids = rule.id, hook.id, delivery.id
    return World(app, alice, bob, admin, alice_site, bob_site, orphan_site, alice_mention,
                 bob_mention, *ids)  # fmt: skip


@pytest.fixture
def alice(world: World, client: FlaskClient) -> Browser:
    return Browser(client, "alice@example.com")


@pytest.fixture
def admin(world: World, client: FlaskClient) -> Browser:
    return Browser(client, "admin@example.com")


def _snapshot(app: Flask) -> tuple[object, ...]:
    """Everything an action could change on bob's side."""
    with services(app).db.session() as session:
        bob_site = session.scalar(select(Site).where(Site.host == "bob.example"))
        assert bob_site is not None
        return (
            [(m.id, m.status, m.queued_at) for m in session.scalars(select(Mention))],
            (bob_site.policy, bob_site.token_hash, bob_site.email_notify, bob_site.owner_id),
            session.scalar(select(func.count()).select_from(BlockRule)),
            session.scalar(select(func.count()).select_from(Webhook)),
            session.scalar(select(func.count()).select_from(WebhookDelivery)),
            session.scalar(select(func.count()).select_from(ModerationAction)),
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
    "path", ["/dashboard/deliveries/{x}/resend", "/dashboard/blocks/{x}/delete"]
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


# -- sites ------------------------------------------------------------------------------------


def test_adding_a_site_shows_the_exact_tags_and_widget_snippet(
    world: World, alice: Browser
) -> None:
    answer = alice.post("/dashboard/sites", {"host": " https://New-Blog.Example/about "})
    assert answer.status_code == 303
    page = alice.text(answer.headers["Location"])
    base = world.app.config["BASE_URL"]
    assert f"&lt;link rel=&#34;webmention&#34; href=&#34;{base}/webmention&#34;&gt;" in page
    assert f"&lt;link rel=&#34;pingback&#34; href=&#34;{base}/xmlrpc&#34;&gt;" in page
    assert (
        f"&lt;script src=&#34;{base}/embed.js&#34; data-target=&#34;POST_URL&#34; async&gt;"
        "&lt;/script&gt;" in page
    )
    with services(world.app).db.session() as session:
        site = session.scalar(select(Site).where(Site.host == "new-blog.example"))
        assert site is not None and site.owner_id == world.alice and site.policy == "publish"
        logged = session.scalar(select(ModerationAction).where(ModerationAction.site_id == site.id))
        assert logged is not None and (logged.action, logged.actor) == (
            "site_add", "alice@example.com")  # fmt: skip


@pytest.mark.parametrize("host", ["", "   ", "not a host", "ftp://x.example"])
def test_adding_a_site_with_a_bad_host_says_what_to_fix(
    world: World, alice: Browser, host: str
) -> None:
    answer = alice.post("/dashboard/sites", {"host": host})
    assert answer.status_code == 400
    assert "host" in answer.get_data(as_text=True).lower()
    assert answer.mimetype == "text/html"


def _check(alice: Browser, world: World, url: str) -> str:
    answer = alice.post(f"/dashboard/sites/{world.alice_site}/check", {"url": url})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _own_host_site(world: World, pages: PageServer) -> None:
    """Alice's site becomes the page server's host, so its pages can be checked."""
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None
        site.host = pages.host
        session.commit()


def test_the_check_finds_the_tags_on_the_site(
    world: World, alice: Browser, pages: PageServer
) -> None:
    _own_host_site(world, pages)
    base = world.app.config["BASE_URL"]
    url = pages.add(
        "/dash/tagged.html",
        f'<html><head><link rel="webmention" href="{base}/webmention">'
        f'<link rel="pingback" href="{base}/xmlrpc"></head><body>Hi</body></html>',
    )
    text = _check(alice, world, url)
    assert 'class="check ok"' in text
    assert "the webmention tag is present" in text and "the pingback tag is present" in text


def test_the_check_reads_the_link_header_too(
    world: World, alice: Browser, pages: PageServer
) -> None:
    _own_host_site(world, pages)
    base = world.app.config["BASE_URL"]
    url = pages.add(
        "/dash/header.html", "<p>no tags</p>",
        headers={"Link": f'<{base}/webmention>; rel="webmention"', "X-Pingback": f"{base}/xmlrpc"},
    )  # fmt: skip
    assert 'class="check ok"' in _check(alice, world, url)


def test_the_check_says_which_tags_are_missing_or_wrong(
    world: World, alice: Browser, pages: PageServer
) -> None:
    _own_host_site(world, pages)
    url = pages.add(
        "/dash/other.html",
        '<html><head><link rel="webmention" href="https://webmention.io/x/webmention">'
        "</head></html>",
    )
    text = _check(alice, world, url)
    assert 'class="check bad"' in text
    assert "names another webmention endpoint" in text and "webmention.io/x/webmention" in text
    assert "no pingback tag found" in text


def test_the_check_reports_a_page_it_could_not_fetch(
    world: World, alice: Browser, pages: PageServer
) -> None:
    _own_host_site(world, pages)
    text = _check(alice, world, pages.url("/dash/missing.html"))
    assert "Could not check: the page returned 404" in text


def test_the_check_refuses_a_page_of_another_host(world: World, alice: Browser) -> None:
    answer = alice.post(
        f"/dashboard/sites/{world.alice_site}/check", {"url": "https://elsewhere.example/"}
    )
    assert answer.status_code == 400
    assert "Check a page of blog.example" in answer.get_data(as_text=True)


def test_the_check_never_connects_to_a_private_address(world: World, alice: Browser) -> None:
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None
        site.host = "127.0.0.1"
        session.commit()
    with Trap() as trap:
        text = _check(alice, world, f"http://127.0.0.1:{trap.port}/")
    assert "Could not check" in text
    assert trap.connections == 0


def test_rotating_the_token_shows_it_once_and_stores_its_hash(world: World, alice: Browser) -> None:
    answer = alice.post(f"/dashboard/sites/{world.alice_site}/token")
    assert answer.status_code == 200
    match = re.search(
        r'<pre class="copy" id="new-token"><code>([^<]+)</code>', answer.get_data(True)
    )
    assert match
    token = match.group(1)
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None and site.token_hash == hash_token(token)
    assert token not in alice.text(f"/dashboard/sites/{world.alice_site}")
    again = alice.post(f"/dashboard/sites/{world.alice_site}/token").get_data(as_text=True)
    assert token not in again


def test_the_policy_is_saved_and_logged(world: World, alice: Browser) -> None:
    answer = alice.post(f"/dashboard/sites/{world.alice_site}/policy", {"policy": "hold_new"})
    assert answer.status_code == 303
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None and site.policy == "hold_new"
    assert "publish -&gt; hold_new" in alice.text(f"/dashboard/sites/{world.alice_site}")


def test_an_unknown_policy_says_which_ones_exist(world: World, alice: Browser) -> None:
    answer = alice.post(f"/dashboard/sites/{world.alice_site}/policy", {"policy": "yolo"})
    assert answer.status_code == 400
    assert "publish, hold_new, hold_all" in answer.get_data(as_text=True)


def test_email_notification_is_switched_per_site(world: World, alice: Browser) -> None:
    alice.post(f"/dashboard/sites/{world.alice_site}/email", {"email_notify": "on"})
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None and site.email_notify
    alice.post(f"/dashboard/sites/{world.alice_site}/email", {})
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None and not site.email_notify


# -- inbox ------------------------------------------------------------------------------------


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


def _reply_page(pages: PageServer, path: str, target: str, author: str = "Riley") -> str:
    return pages.add(
        path,
        f'<article class="h-entry"><a class="p-author h-card" href="/">{author}</a>'
        f'<a class="u-in-reply-to" href="{target}">re</a><p class="e-content">Hi!</p></article>',
    )


def _receive_and_verify(app: Flask, client: FlaskClient, source: str, target: str) -> int:
    answer = client.post("/webmention", data={"source": source, "target": target})
    assert answer.status_code == 201, answer.get_json()
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    process_mention(services(app).db, mention_id, services(app).pipeline)
    return mention_id


def test_the_owners_rejection_survives_a_resend(
    world: World, alice: Browser, pages: PageServer
) -> None:
    source = _reply_page(pages, "/dash/sticky.html", ALICE_POST)
    mention_id = _receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == "approved"
    alice.post(f"/dashboard/mentions/{mention_id}/moderate", {"action": "reject"})
    _receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == "rejected"
    assert "rejected by alice@example.com" in alice.text("/dashboard/inbox?state=rejected")


@pytest.mark.parametrize(
    ("policy", "approved_before", "expected"),
    [("publish", False, "approved"), ("hold_all", True, "held"),
     ("hold_new", False, "held"), ("hold_new", True, "approved")],
)  # fmt: skip
def test_the_sites_policy_applies_at_verification(
    world: World, alice: Browser, pages: PageServer,
    policy: str, approved_before: bool, expected: str,
) -> None:  # fmt: skip
    alice.post(f"/dashboard/sites/{world.alice_site}/policy", {"policy": policy})
    if approved_before:
        add_mention(world.app, "https://blog.example/older", source=pages.url("/older"),
                    status="approved")  # fmt: skip
    source = _reply_page(pages, f"/dash/policy-{policy}-{approved_before}.html", ALICE_POST)
    mention_id = _receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == expected


# -- block rules ------------------------------------------------------------------------------


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
    source = _reply_page(pages, "/dash/late-block.html", ALICE_POST)
    answer = alice.client.post("/webmention", data={"source": source, "target": ALICE_POST})
    mention_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    with services(world.app).db.session() as session:
        session.add(BlockRule(site_id=world.alice_site, kind="url", value=source))
        session.commit()
    process_mention(services(world.app).db, mention_id, services(world.app).pipeline)
    assert mention_row(world.app, mention_id).status == "deleted"


def test_unblocking_accepts_the_source_again(world: World, alice: Browser) -> None:
    alice.post(f"/dashboard/sites/{world.alice_site}/blocks",
               {"kind": "domain", "value": "Https://Again.Example/x"})  # fmt: skip
    with services(world.app).db.session() as session:
        rule = session.scalar(select(BlockRule).where(BlockRule.value == "again.example"))
        assert rule is not None
        rule_id = rule.id
    refused = alice.client.post(
        "/webmention", data={"source": "https://again.example/1", "target": ALICE_POST}
    )
    assert refused.status_code == 400
    assert alice.post(f"/dashboard/blocks/{rule_id}/delete").status_code == 303
    accepted = alice.client.post(
        "/webmention", data={"source": "https://again.example/1", "target": ALICE_POST}
    )
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [("domain", "", "Give the domain to block"), ("domain", "localhost", "domain name"),
     ("url", "not a url", "source"), ("planet", "x.example", "domain or a source URL")],
)  # fmt: skip
def test_a_bad_block_rule_is_a_clear_400(
    world: World, alice: Browser, kind: str, value: str, message: str
) -> None:
    answer = alice.post(f"/dashboard/sites/{world.alice_site}/blocks",
                        {"kind": kind, "value": value})  # fmt: skip
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


# -- overview ---------------------------------------------------------------------------------


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


@pytest.mark.integration
def test_the_overview_inbox_and_moderation_work_on_postgresql(
    production_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(production_settings, monkeypatch)
    try:
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
    finally:
        services(app).db.dispose()
