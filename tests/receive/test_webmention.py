"""POST /webmention: the W3C receiver's synchronous checks, the 201 answer and the status page."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pingsvc import services
from pingsvc.models import Mention
from tests.conftest import TARGET

SOURCE = "https://alice.example/reply/1"


def post(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/webmention", data=fields)


def count(app: Flask) -> int:
    with services(app).db.session() as session:
        return int(session.scalar(select(func.count(Mention.id))) or 0)


def queued_messages(app: Flask) -> list[Path]:
    return [p for p in (Path(app.config["VAR_DIR"]) / "queue").iterdir() if p.is_file()]


def test_accepted_webmention_answers_201_with_status_location(app: Flask, client) -> None:
    answer = post(client, source=SOURCE, target=TARGET)
    assert answer.status_code == 201
    location = answer.headers["Location"]
    assert location.startswith("http://127.0.0.1:8080/webmention/status/")
    assert answer.get_json()["location"] == location
    status = client.get(location.removeprefix("http://127.0.0.1:8080")).get_json()
    assert status["status"] == "pending"
    assert status["id"] == int(location.rsplit("/", 1)[1])


def test_accepting_commits_the_row_then_enqueues_one_message(app: Flask, client) -> None:
    post(client, source=SOURCE, target=TARGET)
    assert count(app) == 1
    assert len(queued_messages(app)) == 1


def test_sending_the_same_pair_again_updates_the_same_row(app: Flask, client) -> None:
    first = post(client, source=SOURCE, target=TARGET)
    second = post(client, source=SOURCE, target=TARGET)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app) == 1


@pytest.mark.parametrize(
    ("fields", "error", "hint"),
    [
        ({"target": TARGET}, "missing_source", "source parameter is missing"),
        ({"source": SOURCE}, "missing_target", "target parameter is missing"),
        ({"source": "ftp://alice.example/x", "target": TARGET}, "invalid_source", "http"),
        ({"source": "/relative/path", "target": TARGET}, "invalid_source", "absolute"),
        ({"source": SOURCE, "target": "mailto:bob@blog.example"}, "invalid_target", "http"),
        ({"source": "https://a.example/" + "x" * 2100, "target": TARGET}, "invalid_source", "2048"),
        ({"source": TARGET + "#c1", "target": TARGET}, "same_url", "same page"),
        (
            {"source": SOURCE, "target": "https://elsewhere.example/post"},
            "target_not_supported",
            "not a site",
        ),
    ],
)
def test_bad_requests_get_400_with_an_error_that_says_what_to_fix(
    app: Flask, client, fields: dict[str, str], error: str, hint: str
) -> None:
    answer = post(client, **fields)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == error
    assert hint in body["error_description"]
    assert count(app) == 0


def test_json_body_is_refused_with_the_content_type_to_use(client) -> None:
    answer = client.post("/webmention", json={"source": SOURCE, "target": TARGET})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "unsupported_content_type"
    assert "x-www-form-urlencoded" in answer.get_json()["error_description"]


def test_unknown_status_id_is_a_json_404(client) -> None:
    answer = client.get("/webmention/status/999")
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"


def test_home_page_shows_the_link_tags_to_paste(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert (
        "&lt;link rel=&#34;webmention&#34; href=&#34;http://127.0.0.1:8080/webmention&#34;&gt;"
        in page
    )
    assert "&lt;link rel=&#34;pingback&#34; href=&#34;http://127.0.0.1:8080/xmlrpc&#34;&gt;" in page
    assert '<link rel="webmention" href="http://127.0.0.1:8080/webmention">' in page


def test_every_page_advertises_the_endpoints_in_headers(client) -> None:
    answer = client.get("/")
    assert answer.headers["X-Pingback"] == "http://127.0.0.1:8080/xmlrpc"
    assert 'rel="webmention"' in answer.headers["Link"]


@pytest.mark.parametrize(
    "path", ["/webmention/status/99999999999999999999999", "/webmention/status/2147483648"]
)
def test_an_id_too_large_for_the_database_is_a_plain_404(client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"


def test_an_oversized_body_is_413_without_an_error_in_the_log(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import make_app

    limited = make_app({**settings, "PINGSVC_RATE_LIMIT_ENABLED": "true"}, monkeypatch)
    answer = limited.test_client().post(
        "/webmention",
        data={"source": SOURCE, "target": TARGET, "pad": "x" * 200_000},
    )
    assert answer.status_code == 413
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_mentions_source_and_target_are_shown_to_its_owner_or_once_approved(
    app: Flask, client: FlaskClient
) -> None:
    """Ids are sequential: anyone may ask for any of them. The status (and why it was
    rejected) is for the sender; the source and target of a mention that is not public are
    for the site's owner (a dashboard session or the site's token)."""
    from pingsvc.tokens import rotate
    from tests.support.dashboard import Browser, add_account, add_site
    from tests.support.mentions import add_mention

    owner = add_account(app, "olive@example.com")
    add_site(app, "blog.example", owner)
    add_site(app, "other.example", None)
    held = add_mention(app, TARGET, status="held", source="https://secret.example/p")
    path = f"/webmention/status/{held}"
    anonymous = client.get(path).get_json()
    assert anonymous["status"] == "held"
    assert "source" not in anonymous and "target" not in anonymous
    assert "secret.example" not in client.get(path).get_data(as_text=True)

    olive = Browser(app.test_client(), "olive@example.com")
    assert olive.get(path).get_json()["source"] == "https://secret.example/p"
    with services(app).db.session() as session:
        from pingsvc.models import Site

        mine, theirs = (session.scalar(select(Site).where(Site.host == h)) for h in
                        ("blog.example", "other.example"))  # fmt: skip
        assert mine is not None and theirs is not None
        token, other_token = rotate(mine), rotate(theirs)
        session.commit()
    bearer = client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert bearer["target"] == TARGET
    assert "source" not in client.get(f"{path}?token={other_token}").get_json()

    shown = add_mention(app, TARGET, source="https://public.example/p")
    assert client.get(f"/webmention/status/{shown}").get_json()["source"] == (
        "https://public.example/p"
    )


def test_a_hidden_mentions_reason_names_neither_its_source_nor_the_owners_rules(
    app: Flask, client: FlaskClient
) -> None:
    """A reader who may not see the mention learns why it ended as it did, not what the owner
    blocks; the owner still reads the whole reason."""
    from tests.support.dashboard import Browser, add_account, add_site
    from tests.support.mentions import add_mention

    owner = add_account(app, "olive@example.com")
    add_site(app, "blog.example", owner)
    blocked = add_mention(
        app,
        TARGET,
        status="deleted",
        source="https://www.spam.example/p",
        error="the site's owner blocked this source (domain spam.example)",
    )
    failed = add_mention(
        app,
        TARGET,
        status="rejected",
        source="https://gone.example/p",
        error="could not fetch https://gone.example/p: gone.example could not be resolved",
    )
    as_anyone = client.get(f"/webmention/status/{blocked}")
    assert as_anyone.get_json()["reason"] == "the site's owner blocked this source"
    assert "spam.example" not in as_anyone.get_data(as_text=True)
    rejected = client.get(f"/webmention/status/{failed}").get_json()  # the sender's reason
    assert rejected["error"] == (
        "could not fetch https://gone.example/p: gone.example could not be resolved"
    )
    olive = Browser(app.test_client(), "olive@example.com")
    assert olive.get(f"/webmention/status/{blocked}").get_json()["reason"] == (
        "the site's owner blocked this source (domain spam.example)"
    )
