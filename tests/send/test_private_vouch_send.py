"""Sending with Private Webmention and Vouch: a private post's code and realm (a per-send
option of /api/send and `pingsvc send`) go with the webmention, and so does a vouch when
pingsvc knows one (an approved mention our site got from the target's domain)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs

from flask import Flask

from pingsvc.db import services
from pingsvc.models import Outgoing, Site
from pingsvc.send import outbox, store
from pingsvc.send.post import SendSettings
from tests.support.mentions import add, mention_row
from tests.support.pageserver import PageServer
from tests.support.sending import AUTHOR_HOST, far, farther, post_page, send_app, target_page

__all__ = ["far", "farther", "send_app"]  # fixtures


def _receiver(far: PageServer) -> tuple[str, str]:
    """A target on the receiving host (127.0.0.2) and the path of its endpoint."""
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=202)
    target = far.add(f"/{tag}/t", **target_page(endpoint))  # type: ignore[arg-type]
    return target, f"/{tag}/wm"


def _deliver_all(app: Flask, source: str) -> None:
    db = services(app).db
    with db.session() as session:
        ids = [row.id for row in store.for_source(session, source)]
    for outgoing_id in ids:
        outbox.deliver_one(db, outgoing_id, SendSettings.from_config(app.config))


def _form(far: PageServer, path: str) -> dict[str, list[str]]:
    (posted,) = far.posted(path)
    return parse_qs(posted.body.decode())


def test_a_private_posts_code_and_realm_go_with_the_webmention(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    target, endpoint = _receiver(far)
    source = pages.add(f"/{uuid.uuid4().hex[:8]}/private", post_page(target))
    answer = send_app.test_client().post(
        "/api/send",
        data={"token": send_app.config["TEST_TOKEN"], "source": source, "target": target,
              "code": "c0de", "realm": "Friends"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    _deliver_all(send_app, source)
    form = _form(far, endpoint)
    assert (form["code"], form["realm"], form["source"]) == (["c0de"], ["Friends"], [source])
    assert "vouch" not in form  # nothing known from 127.0.0.2


def test_a_public_send_carries_no_code(send_app: Flask, pages: PageServer, far: PageServer) -> None:
    target, endpoint = _receiver(far)
    source = pages.add(f"/{uuid.uuid4().hex[:8]}/public", post_page(target))
    token = send_app.config["TEST_TOKEN"]
    answer = send_app.test_client().post(
        "/api/send", data={"token": token, "source": source, "target": target}
    )
    assert answer.status_code == 201
    _deliver_all(send_app, source)
    assert set(_form(far, endpoint)) == {"source", "target"}


def test_a_bad_code_is_refused_before_anything_is_queued(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    target, _endpoint = _receiver(far)
    source = pages.add(f"/{uuid.uuid4().hex[:8]}/p", post_page(target))
    answer = send_app.test_client().post(
        "/api/send",
        data={"token": send_app.config["TEST_TOKEN"], "source": source, "realm": "Friends"},
    )
    assert answer.status_code == 400
    assert "realm is sent only with a code" in answer.get_json()["error_description"]
    with services(send_app).db.session() as session:
        assert store.for_source(session, source) == []


def test_a_vouch_is_sent_when_the_target_domain_mentioned_us_before(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    with services(send_app).db.session() as session:
        site = session.query(Site).filter_by(host=AUTHOR_HOST).one()
        site_id = site.id
    earlier = far.url(f"/{uuid.uuid4().hex[:8]}/they-linked-us")
    add(send_app, mention_row(site_id, f"http://{AUTHOR_HOST}/older", source=earlier))
    target, endpoint = _receiver(far)
    source = pages.add(f"/{uuid.uuid4().hex[:8]}/reply", post_page(target))
    answer = send_app.test_client().post(
        "/api/send",
        data={"token": send_app.config["TEST_TOKEN"], "source": source, "target": target},
    )
    assert answer.status_code == 201
    _deliver_all(send_app, source)
    assert _form(far, endpoint)["vouch"] == [earlier]


def test_pingsvc_send_takes_code_and_realm(
    send_app: Flask, pages: PageServer, far: PageServer
) -> None:
    target, _endpoint = _receiver(far)
    source = pages.add(f"/{uuid.uuid4().hex[:8]}/cli", post_page(target))
    from pingsvc.send import command

    with send_app.app_context():
        assert (
            command.run(
                send_app, source, dry_run=False, wait=False, as_json=True, code="k", realm="R"
            )
            == 0
        )
    with services(send_app).db.session() as session:
        rows = session.query(Outgoing).filter_by(source=source).all()
        assert [(r.code, r.realm) for r in rows] == [("k", "R")]
