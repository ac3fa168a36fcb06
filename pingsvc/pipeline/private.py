"""Private Webmention (indieweb.org/Private-Webmention), receiver side: find the source's
token endpoint, trade the sender's code there for an access token, and read the source
with it. Every request goes through the fetch guard: the token endpoint is a stranger's URL."""

from __future__ import annotations

import json

from pingsvc.errors import FetchError, TransientFetchError
from pingsvc.fetch.client import Session, fetch, post
from pingsvc.fetch.discovery import rel_url
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox

KIND = "private"  # the error kind of a failed exchange


def read_token_endpoint(page: Page, max_depth: int) -> str | None:
    """The source's token_endpoint (Link header, else <link rel>), after the checks every
    parsed page gets (run in a sandbox child when the body must be parsed)."""
    check_page(page, max_depth)
    return rel_url(page, "token_endpoint")


def token_endpoint(
    source: str, policy: FetchPolicy, session: Session, readers: sandbox.Pool
) -> str:
    """Where the source trades codes for tokens; FetchError when it advertises none. The
    source is read without a token first: a private page may answer 401 or 403 and still
    name its token endpoint, so those answers are read too."""
    page = fetch(source, policy, session, check=False, denied_ok=True)
    found = rel_url(
        Page(page.url, page.status_code, "", b"", headers=page.headers), "token_endpoint"
    )
    if found is None and page.is_html:
        found = readers.run(
            read_token_endpoint, page, policy.max_depth,
            wall_limit=60.0, what=f"{page.media_type}, {len(page.body)} bytes",
        )  # fmt: skip
    if found is None:
        raise FetchError(
            "the source was sent with a code (Private Webmention) but advertises no "
            'token_endpoint (a Link header or <link rel="token_endpoint">)',
            kind=KIND,
        )
    return found


def exchange(endpoint: str, code: str, policy: FetchPolicy, session: Session) -> str:
    """The access token the token endpoint gives for `code` (grant_type=authorization_code);
    FetchError saying why when it refuses, TransientFetchError when it is down."""
    data = {"grant_type": "authorization_code", "code": code}
    try:
        answer = post(endpoint, data, policy, session, headers={"Accept": "application/json"})
    except FetchError as exc:
        raise type(exc)(
            f"exchanging the code failed: {exc.about('the token endpoint').reason}",
            status_code=exc.status_code, kind=KIND if not isinstance(exc, TransientFetchError)
            else exc.kind, retry_after=exc.retry_after,
        ) from exc  # fmt: skip
    status = answer.status_code
    said = _error_of(answer.body)
    if status == 429 or status >= 500:
        raise TransientFetchError(f"the token endpoint answered {status}{said}", status_code=status)
    if status != 200:
        raise FetchError(
            f"the token endpoint refused the code ({status}{said})", status_code=status, kind=KIND
        )
    try:
        document = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FetchError("the token endpoint's answer is not JSON", kind=KIND) from exc
    token = document.get("access_token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token.strip() or not token.isprintable():
        raise FetchError("the token endpoint's answer has no access_token", kind=KIND)
    return token.strip()


def _error_of(body: bytes) -> str:
    """ ": invalid_grant (the code expired)" from an OAuth 2.0 error answer, else ""."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if not isinstance(document, dict) or not isinstance(document.get("error"), str):
        return ""
    said = f": {document['error'][:100]}"
    description = document.get("error_description")
    if isinstance(description, str) and description:
        said += f" ({description[:200]})"
    return said


def bearer_headers(
    source: str,
    code: str,
    policy: FetchPolicy,
    session: Session,
    readers: sandbox.Pool,
) -> dict[str, str]:
    """The header that reads a private source: discover, exchange, Authorization: Bearer."""
    endpoint = token_endpoint(source, policy, session, readers)
    return {"Authorization": f"Bearer {exchange(endpoint, code, policy, session)}"}
