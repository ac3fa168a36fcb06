"""send_post(): plan the sends of one post of a registered site and queue them. Fetches the
post (through the guarded fetch), takes its links, adds the targets it linked before and no
longer does (or, when it is gone, every earlier target), writes one Outgoing row per target
and, after the commit, queues one delivery each. No Flask, no Celery: callers pass `enqueue`."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from pingsvc.db import Database
from pingsvc.errors import (
    FetchError,
    NotOurPost,
    PingError,
    SendRefused,
    SourceGone,
    TransientFetchError,
)
from pingsvc.fetch.client import fetch
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.models import Site
from pingsvc.receive.accept import parse_extras
from pingsvc.send import store
from pingsvc.send.deliver import ParseLimits, discover
from pingsvc.send.links import post_links
from pingsvc.urls import host_of, normalize_url, without_fragment

log = logging.getLogger(__name__)

Enqueue = Callable[[int], bool | None]  # tasking.enqueue_deliver; False: the broker refused it


@dataclass(frozen=True)
class SendSettings:
    """How sending behaves; built from the PINGSVC_SEND_* (and fetch, webhook) settings."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_tries: int = 6
    backoff: float = 10.0
    retry_after_max: float = 900.0
    per_host: int = 3
    include_own_host: bool = False
    # Links of one post that one send goes to, at most: a page of a million links would be
    # as many rows, broker messages and POSTs from one request.
    max_targets: int = 200
    # The callback's guard: the webhooks' policy (its own time limit).
    callback_policy: FetchPolicy = field(default_factory=FetchPolicy)
    # How target pages are read: in the parse sandbox, as source pages are.
    parse: ParseLimits = field(default_factory=ParseLimits)

    @property
    def lease(self) -> float:
        """How long a delivery's claim holds: its two requests (the target page, then the
        endpoint) each end within the fetch time limit, so this outlives a live one."""
        return 3 * self.policy.timeout + 10.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SendSettings:
        policy = FetchPolicy.from_config(config)
        return cls(
            policy=policy,
            max_tries=int(config["SEND_MAX_TRIES"]),
            backoff=float(config["SEND_BACKOFF"]),
            retry_after_max=float(config["SEND_RETRY_AFTER_MAX"]),
            per_host=int(config["SEND_PER_HOST"]),
            include_own_host=bool(config["SEND_OWN_HOST"]),
            max_targets=int(config["SEND_MAX_TARGETS"]),
            callback_policy=dataclasses.replace(policy, timeout=float(config["WEBHOOK_TIMEOUT"])),
            parse=ParseLimits.from_config(config),
        )


class SourceUnreadable(SendRefused):
    """The post could not be fetched; `transient` when a later try may succeed."""

    def __init__(self, description: str, *, transient: bool) -> None:
        super().__init__(description)
        self.transient = transient


@dataclass(frozen=True)
class Planned:
    """One target of a send: still linked, or linked before (removed, or the post is gone)."""

    target: str
    linked: bool
    outgoing_id: int | None = None
    public_id: str | None = None
    # Dry runs only: the endpoint discovery found ("webmention", url), or why none was.
    protocol: str | None = None
    endpoint: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Plan:
    source: str
    site_id: int
    gone: bool  # the post answered 410 Gone: every earlier target is told
    targets: list[Planned]
    enqueued: bool = True  # False: the broker was down; the sweeper sends them


def _refuse_invalid(value: str | None, name: str) -> str:
    try:
        return normalize_url(value or "", name)
    except PingError as exc:
        raise SendRefused(exc.description) from exc


def _site_of(session: Any, url: str) -> Site | None:
    return session.scalars(select(Site).where(Site.host == host_of(url))).first()


def _link_key(url: str) -> str | None:
    """A link's normal form, to compare with stored targets (None: not a usable URL)."""
    try:
        return without_fragment(normalize_url(url, "target"))
    except PingError:
        return None


def _on_domain(url: str, domain: str) -> bool:
    host = host_of(url)
    return host == domain or host.endswith("." + domain)


def current_links(source: str, policy: FetchPolicy, *, include_own_host: bool) -> list[str] | None:
    """The post's links in document order, normalised; None when the post is gone (410).
    Raises SourceUnreadable, NotOurPost when it redirects off its host, or SendRefused for a
    page that is not HTML."""
    try:
        page = fetch(source, policy)
    except SourceGone:
        return None
    except TransientFetchError as exc:
        raise SourceUnreadable(
            f"The source could not be fetched now: {exc.reason}.", transient=True
        ) from exc
    except FetchError as exc:
        raise SourceUnreadable(
            f"The source could not be fetched: {exc.reason}.", transient=False
        ) from exc
    if host_of(page.url) != host_of(source):
        # An open redirect, or a post moved off the site: the page read is someone else's,
        # and sending its links in the site's name would make pingsvc a relay for it.
        raise NotOurPost(
            f"The source redirects to {page.url[:300]}, which is not on {host_of(source)}; "
            "pingsvc sends only for the posts of registered sites. Send for the post's own URL."
        )
    if not page.is_html:
        raise SendRefused(
            f"The source is {page.media_type}, not an HTML page; pingsvc reads the links of "
            "HTML posts.",
            code="source_not_html",
        )
    links: list[str] = []
    for link in post_links(page, include_own_host=include_own_host):
        key = _link_key(link)
        if key is not None and key != without_fragment(source) and key not in links:
            links.append(key)
    return links


def plan_targets(
    links: list[str] | None,
    earlier: list[str],
    *,
    target: str | None = None,
    target_domain: str | None = None,
) -> list[tuple[str, bool]]:
    """(target, still linked) for every target a send goes to: the current links, then the
    earlier targets no longer linked (Webmention §3.1.3: the receiver learns of the removal);
    when the post is gone (links None) every earlier target. Pure."""
    if links is None:
        pairs = [(url, False) for url in earlier]
    else:
        pairs = [(url, True) for url in links]
        pairs += [(url, False) for url in earlier if url not in links]
    if target is not None:
        pairs = [pair for pair in pairs if pair[0] == target]
    elif target_domain is not None:
        pairs = [pair for pair in pairs if _on_domain(pair[0], target_domain)]
    return pairs


def send_post(
    db: Database,
    source_url: str,
    settings: SendSettings,
    *,
    target: str | None = None,
    target_domain: str | None = None,
    callback: str | None = None,
    site_id: int | None = None,
    code: str | None = None,
    realm: str | None = None,
    dry_run: bool = False,
    enqueue: Enqueue | None = None,
) -> Plan:
    """Plan and queue the sends of `source_url`, a post of a registered site (of site
    `site_id` when given: the API token's). `target` or `target_domain` narrow the sends to
    one target or one domain's. A dry run discovers each target's endpoint and writes and
    sends nothing. A private post's `code` and `realm` (Private Webmention) go with each
    webmention. Raises SendRefused (NotOurPost, SourceUnreadable, no_link_found...)."""
    source = _refuse_invalid(source_url, "source")
    code, realm = _private(code, realm)
    wanted = without_fragment(_refuse_invalid(target, "target")) if target else None
    domain = _domain(target_domain) if target_domain else None
    with db.session() as session:
        site = _site_of(session, source)
        if site is None:
            raise NotOurPost(
                f"{host_of(source)} is not a registered site; pingsvc sends only for the posts "
                "of its sites (register it with `pingsvc site add`)."
            )
        if site_id is not None and site.id != site_id:
            raise NotOurPost(f"The source is on {site.host}, not on the token's site.")
        the_site_id = site.id
        earlier = store.earlier_targets(session, source)
        told = store.told_of_removal(session, source)
    links = current_links(source, settings.policy, include_own_host=settings.include_own_host)
    if links is not None and wanted is None:
        # §3.1.3 tells the links of the previous version that are gone: once a receiver has
        # heard, later edits need not tell it again. A deletion tells everyone, and a
        # target named in the request is sent to whatever it heard before.
        earlier = [url for url in earlier if url not in told]
    pairs = plan_targets(links, earlier, target=wanted, target_domain=domain)
    if not pairs:
        raise SendRefused(_nothing_to_send(links, wanted, domain), code="no_link_found")
    linked = sum(1 for _target, still in pairs if still)
    if linked > settings.max_targets:
        # The links it no longer has are not counted: each was under the cap when sent, and
        # the spec wants their receivers told.
        raise SendRefused(
            f"The source links to {linked} pages; pingsvc sends to at most "
            f"{settings.max_targets} links of one post (PINGSVC_SEND_MAX_TARGETS). Name one "
            "target, or a target_domain, to send to some of them.",
            code="too_many_links",
        )
    if dry_run:
        return Plan(
            source,
            the_site_id,
            links is None,
            [_discover(t, linked, settings) for t, linked in pairs],
        )
    with db.session() as session:
        ids = [
            store.upsert(
                session,
                the_site_id,
                source,
                t,
                linked=linked,
                callback=callback,
                code=code,
                realm=realm,
            )  # fmt: skip
            for t, linked in pairs
        ]
        session.commit()
        rows = store.by_ids(session, ids)
    planned = [Planned(r.target, r.linked, r.id, r.public_id) for r in rows]
    enqueued = True
    if enqueue is not None:
        for outgoing_id in ids:
            try:
                sent = enqueue(outgoing_id)
            except Exception as exc:  # noqa: BLE001 - the rows are committed; the sweeper sends
                log.warning("could not queue send %s (%s); the sweeper will", outgoing_id, exc)
                sent = False
            enqueued = enqueued and sent is not False
    log.info("queued %d sends for %s", len(planned), source)
    return Plan(source, the_site_id, links is None, planned, enqueued)


def _private(code: str | None, realm: str | None) -> tuple[str | None, str | None]:
    """A private post's code and realm checked as a receiver checks them (same limits)."""
    try:
        extras = parse_extras(code, realm, None)
    except PingError as exc:
        raise SendRefused(exc.description) from exc
    return extras.code, extras.realm


def _domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("https://").removeprefix("http://")
    domain = domain.split("/", 1)[0].rstrip(".")
    if not domain or any(c in domain for c in " @:?#"):
        raise SendRefused("The target_domain parameter must be a domain name such as example.com.")
    return domain


def _nothing_to_send(links: list[str] | None, target: str | None, domain: str | None) -> str:
    if links is None:
        return "The source is gone (410) and nothing was ever sent for it, so no one needs telling."
    if target is not None:
        return "The source does not link to the target, and never did in a send before."
    if domain is not None:
        return f"The source has no link to {domain}, and had none in a send before."
    return "The source has no links to send to."


def _discover(target: str, linked: bool, settings: SendSettings) -> Planned:
    try:
        endpoint = discover(target, settings.policy, limits=settings.parse)
    except FetchError as exc:
        return Planned(target, linked, problem=exc.reason)
    if endpoint is None:
        return Planned(target, linked, problem="no webmention or pingback endpoint")
    return Planned(target, linked, protocol=endpoint.protocol, endpoint=endpoint.url)
