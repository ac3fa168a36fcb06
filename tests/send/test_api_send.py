"""POST /api/send and GET of its location: Telegraph's parameters, shapes and errors."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from pingsvc.db import services
from pingsvc.send import outbox
from pingsvc.send.post import SendSettings
from tests.support.pageserver import PageServer
from tests.support.sending import far, farther, post_page, send_app, target_page

__all__ = ["far", "farther", "send_app"]  # fixtures


def _post(app: Flask, **form: str):  # type: ignore[no-untyped-def]
    return app.test_client().post("/api/send", data=form)


@pytest.fixture
def post_with_two_hosts(pages: PageServer, far: PageServer, farther: PageServer) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    endpoint = far.add(f"/{tag}/wm", "", status=202, headers={"Location": far.url(f"/{tag}/s")})
    other = farther.add(f"/{tag}/wm", "", status=202)
    a = far.add(f"/{tag}/a", **target_page(endpoint))  # type: ignore[arg-type]
    z = farther.add(f"/{tag}/z", **target_page(other))  # type: ignore[arg-type]
    source = pages.add(f"/{tag}/post", post_page(a, z))
    return {"source": source, "a": a, "z": z, "endpoint": endpoint, "status": far.url(f"/{tag}/s")}


def test_sending_to_one_target_answers_201_with_its_location(
    send_app: Flask, post_with_two_hosts: dict[str, str]
) -> None:
    post = post_with_two_hosts
    token = send_app.config["TEST_TOKEN"]
    answer = _post(send_app, token=token, source=post["source"], target=post["a"])
    assert answer.status_code == 201, answer.get_json()
    location = answer.headers["Location"]
    assert answer.get_json() == {"status": "queued", "location": location}
    base = send_app.config["BASE_URL"]
    assert location.startswith(f"{base}/api/send/")
    path = location.removeprefix(base)
    queued = send_app.test_client().get(path).get_json()
    assert queued == {
        "source": post["source"], "target": post["a"], "status": "queued", "type": None,
        "endpoint": None, "http_code": None, "summary": None, "location": None,
    }  # fmt: skip

    # The worker's part, run here: the status then says what the receiver answered.
    with services(send_app).db.session() as session:
        from pingsvc.send import store

        (row,) = store.for_source(session, post["source"])
    outbox.deliver_one(services(send_app).db, row.id, SendSettings.from_config(send_app.config))
    done = send_app.test_client().get(path)
    assert done.headers["Cache-Control"] == "no-store"
    assert done.get_json() == {
        "source": post["source"], "target": post["a"], "status": "accepted",
        "type": "webmention", "endpoint": post["endpoint"], "http_code": 202,
        "summary": done.get_json()["summary"], "location": post["status"],
    }  # fmt: skip


def test_target_domain_and_no_target_answer_a_list_of_locations(
    send_app: Flask, post_with_two_hosts: dict[str, str], farther: PageServer
) -> None:
    post, token = post_with_two_hosts, send_app.config["TEST_TOKEN"]
    domain = _post(send_app, token=token, source=post["source"], target_domain=farther.host)
    assert domain.status_code == 201
    assert "Location" not in domain.headers  # as Telegraph: the locations are in the body
    (one,) = domain.get_json()["location"]
    assert send_app.test_client().get(one).get_json()["target"] == post["z"]
    every = _post(send_app, token=token, source=post["source"])
    assert every.status_code == 201
    targets = [
        send_app.test_client().get(url).get_json()["target"] for url in every.get_json()["location"]
    ]
    assert targets == [post["a"], post["z"]]
    # The bearer header works as the token parameter does.
    bearer = send_app.test_client().post(
        "/api/send", data={"source": post["source"]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 201


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({}, 401, "authentication_required"),
        ({"token": "not-a-token"}, 401, "invalid_token"),
        ({"token": "TOKEN"}, 400, "missing_parameters"),
        ({"token": "TOKEN", "source": "SOURCE", "target": "A", "target_domain": "x.example"},
         400, "invalid_parameter"),
        ({"token": "TOKEN", "source": "SOURCE", "callback": "javascript:alert(1)"},
         400, "invalid_parameter"),
        ({"token": "TOKEN", "source": "not a url"}, 400, "invalid_parameter"),
        ({"token": "TOKEN", "source": "SOURCE", "target": "https://never.example/linked"},
         400, "no_link_found"),
        ({"token": "TOKEN", "source": "JSON"}, 400, "source_not_html"),
        # blog.example is a registered site, but not the token's: no fetch, no send.
        ({"token": "TOKEN", "source": "https://blog.example/post/1"}, 403, "forbidden"),
    ],
)  # fmt: skip
def test_bad_requests_get_telegraphs_errors(
    send_app: Flask,
    post_with_two_hosts: dict[str, str],
    pages: PageServer,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    json_source = pages.add(
        f"/{uuid.uuid4().hex[:6]}.json", "{}", headers={"Content-Type": "application/json"}
    )
    values = {
        "TOKEN": send_app.config["TEST_TOKEN"],
        "SOURCE": post_with_two_hosts["source"],
        "A": post_with_two_hosts["a"],
        "JSON": json_source,
    }
    answer = _post(send_app, **{k: values.get(v, v) for k, v in form.items()})
    assert answer.status_code == status
    body = answer.get_json()
    assert body["error"] == error
    assert body["error_description"]


def test_a_json_body_is_told_to_send_a_form(send_app: Flask) -> None:
    answer = send_app.test_client().post("/api/send", json={"token": "t", "source": "s"})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_parameter"
    assert "form fields" in answer.get_json()["error_description"]


def test_an_unknown_location_is_a_json_404(send_app: Flask) -> None:
    answer = send_app.test_client().get("/api/send/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"
