"""The sites pages: adding a site, its tags and tag check, the API token, the policy (and
that verification applies it), e-mail notification and the site's block rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pingsvc import services
from pingsvc.models import BlockRule, ModerationAction, Site
from pingsvc.tokens import hash_token
from tests.dashboard.conftest import ALICE_POST, World, receive_and_verify, reply_page
from tests.support.dashboard import Browser, Trap, mention_row
from tests.support.mentions import add_mention
from tests.support.pageserver import PageServer


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
    source = reply_page(pages, f"/dash/policy-{policy}-{approved_before}.html", ALICE_POST)
    mention_id = receive_and_verify(world.app, alice.client, source, ALICE_POST)
    assert mention_row(world.app, mention_id).status == expected


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
