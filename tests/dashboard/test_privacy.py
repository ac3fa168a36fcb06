"""The dashboard's retention settings and "forget": owner-only, CSRF-checked, erasing the
fields, keeping the block rule and the audit entry; a forgotten domain's next webmention is
refused and a forgotten author's next one ends deleted at verification."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from pingsvc import retention, services
from pingsvc.models import BlockRule, Mention, ModerationAction, Site
from pingsvc.tokens import rotate
from tests.dashboard.conftest import ALICE_POST, World, receive_and_verify, reply_page
from tests.support.dashboard import Browser, mention_row
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer


def site_row(world: World, site_id: int) -> Site:
    with services(world.app).db.session() as session:
        found = session.get(Site, site_id)
        assert found is not None
        return found


def log_of(world: World, site_id: int) -> dict[str, str | None]:
    with services(world.app).db.session() as session:
        rows = session.scalars(
            select(ModerationAction).where(ModerationAction.site_id == site_id)
        ).all()
        return {row.action: row.detail for row in rows}


def test_the_site_page_saves_the_retention_rules(world: World, alice: Browser) -> None:
    page = alice.text(f"/dashboard/sites/{world.alice_site}")
    assert 'name="rejected_days"' in page and 'name="deleted_days"' in page
    saved = alice.post(
        f"/dashboard/sites/{world.alice_site}/retention",
        data={"rejected_days": "30", "deleted_days": "7"},
    )
    assert saved.status_code == 303
    site = site_row(world, world.alice_site)
    assert (site.retain_rejected_days, site.retain_deleted_days) == (30, 7)
    assert log_of(world, world.alice_site)["retention"] == (
        "rejected: kept 30 day(s); deleted: kept 7 day(s)"
    )
    assert 'value="30"' in alice.text(f"/dashboard/sites/{world.alice_site}")


def test_bad_retention_values_say_what_to_fix(world: World, alice: Browser) -> None:
    for bad in ("-1", "ten", "99999999"):
        answer = alice.post(
            f"/dashboard/sites/{world.alice_site}/retention",
            data={"rejected_days": bad, "deleted_days": "0"},
        )
        assert answer.status_code == 400
        assert "Rejected mentions: give" in answer.get_data(as_text=True)
    assert site_row(world, world.alice_site).retain_rejected_days == 0


def test_only_the_owner_may_change_the_rules_or_forget(world: World, alice: Browser) -> None:
    answer = alice.post(
        f"/dashboard/sites/{world.bob_site}/retention",
        data={"rejected_days": "1", "deleted_days": "1"},
    )
    assert answer.status_code == 404
    assert site_row(world, world.bob_site).retain_rejected_days == 0
    forgot = alice.post(f"/dashboard/mentions/{world.bob_mention}/forget", data={"kind": "domain"})
    assert forgot.status_code == 404
    on_site = alice.post(
        f"/dashboard/sites/{world.bob_site}/forget", data={"kind": "domain", "value": "x.example"}
    )
    assert on_site.status_code == 404
    bob_mention = mention_row(world.app, world.bob_mention)
    assert bob_mention.content_text == "secret bob words"


def test_forget_needs_the_csrf_token(world: World, alice: Browser) -> None:
    answer = alice.client.post(
        f"/dashboard/mentions/{world.alice_mention}/forget", data={"kind": "domain"}
    )
    assert answer.status_code == 400
    assert mention_row(world.app, world.alice_mention).author_name == "Ada Alice-fan"


def test_forget_a_domain_from_a_mention_page(
    world: World, alice: Browser, client: FlaskClient
) -> None:
    found = mention_row(world.app, world.alice_mention)
    page = alice.text(f"/dashboard/mentions/{found.id}")
    assert f"forget domain {found.source_host}" in page and "forget this author" in page
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None
        token = rotate(site)
        session.commit()
    erased: list[retention.Erased] = []
    retention.erase_hooks(world.app.extensions).append(erased.extend)

    answer = alice.post(f"/dashboard/mentions/{found.id}/forget", data={"kind": "domain"})

    assert answer.status_code == 303
    after = mention_row(world.app, found.id)
    assert after.status == "deleted"
    assert (after.author_name, after.author_url, after.content_text) == (None, None, None)
    assert after.source == found.source and after.target == found.target
    assert [e.mention_id for e in erased] == [found.id]
    with services(world.app).db.session() as session:
        rule = session.scalars(select(BlockRule).where(BlockRule.site_id == world.alice_site)).one()
    assert (rule.kind, rule.value) == ("domain", found.source_host)
    detail = log_of(world, world.alice_site)["forget"]
    assert detail == f"domain {found.source_host}; 1 mention(s) erased"
    history = alice.text(f"/dashboard/mentions/{found.id}")
    assert "forget" in history and "Ada Alice-fan" not in history
    # The change feed reports the delete.
    feed = client.get(f"/api/changes.json?domain=blog.example&token={token}").get_json()
    assert [(c["wm-id"], c["op"]) for c in feed["changes"]] == [(found.id, "delete")]
    # A new webmention from it is refused as blocked.
    again = client.post(
        "/webmention", data={"source": f"https://{found.source_host}/new", "target": ALICE_POST}
    )
    assert again.status_code == 400
    assert "not accepted" in again.get_json()["error_description"]


def test_forget_an_author_on_the_site_page_blocks_their_next_mention(
    world: World, alice: Browser, client: FlaskClient, pages: PageServer
) -> None:
    source = reply_page(pages, "/privacy/first", ALICE_POST, author="Riley")
    first = receive_and_verify(world.app, client, source, ALICE_POST)
    author = mention_row(world.app, first).author_url
    assert author and author.startswith(pages.base)
    other = add_mention(world.app, ALICE_POST, author_name="Someone else")

    answer = alice.post(
        f"/dashboard/sites/{world.alice_site}/forget", data={"kind": "author", "value": author}
    )

    assert answer.status_code == 303
    gone = mention_row(world.app, first)
    assert gone.status == "deleted" and gone.author_name is None and gone.content_html is None
    assert mention_row(world.app, other).author_name == "Someone else"
    # The author's next post, from the same host, is verified and ends deleted.
    later = reply_page(pages, "/privacy/second", ALICE_POST, author="Riley")
    second = receive_and_verify(world.app, client, later, ALICE_POST)
    assert mention_row(world.app, second).status == "deleted"
    with services(world.app).db.session() as session:
        kinds = session.scalars(
            select(BlockRule.kind).where(BlockRule.site_id == world.alice_site)
        ).all()
        assert kinds == ["author"]
        assert session.get(Mention, second) is not None


def test_forget_with_a_bad_value_says_what_to_fix(world: World, alice: Browser) -> None:
    for data, said in (
        ({"kind": "domain", "value": ""}, "Give the domain"),
        ({"kind": "author", "value": "not a url"}, "author"),
        ({"kind": "everything", "value": "x.example"}, "Forget a source domain or an author"),
    ):
        answer = alice.post(f"/dashboard/sites/{world.alice_site}/forget", data=data)
        assert answer.status_code == 400, data
        assert said in answer.get_data(as_text=True), data
    assert "forget" not in log_of(world, world.alice_site)
