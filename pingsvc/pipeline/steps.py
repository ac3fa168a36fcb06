"""process_mention(id): fetch → verify → extract → moderate → store. Idempotent, no Flask."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from pingsvc import metrics
from pingsvc.avatars import store as avatar_store
from pingsvc.avatars import usage
from pingsvc.avatars.store import FileStore
from pingsvc.db import Database
from pingsvc.errors import FetchError, HostilePage, SourceGone, TransientFetchError
from pingsvc.extract.entry import SUMMARY_LENGTH, MentionData, extract
from pingsvc.extract.links import links_to
from pingsvc.fetch.client import Session, fetch, make_session
from pingsvc.fetch.hostile import check_page
from pingsvc.fetch.page import Page
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.models import DELETED, PENDING, REJECTED
from pingsvc.pipeline import author_pages, lease, private, sandbox, store, vouch
from pingsvc.pipeline import avatars as archive
from pingsvc.pipeline.store import Outcome

log = logging.getLogger(__name__)

NO_LINK = "the source page does not link to the target"


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """A transient failure: try again in `countdown` seconds (the mention stays pending)."""

    def __init__(self, reason: str, countdown: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.countdown = countdown


@dataclass(frozen=True)
class PipelineSettings:
    policy: FetchPolicy
    max_tries: int = 5
    backoff: float = 3.0
    summary_length: int = SUMMARY_LENGTH
    parse_cpu_limit: float = 1.0  # CPU seconds for reading one source page (see sandbox)
    parse_cpu_per_mib: float = 10.0  # ...or this many a MiB of the page, whichever is more
    parse_processes: int = 2
    lease: float = 60.0  # seconds a running verification's claim holds between renewals
    # Where author photos are archived (pingsvc.avatars); None: no archive, no avatars.
    avatar_dir: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PipelineSettings:
        return cls(
            policy=FetchPolicy.from_config(config),
            max_tries=int(config["VERIFY_MAX_TRIES"]),
            backoff=float(config["VERIFY_BACKOFF"]),
            summary_length=int(config.get("SUMMARY_LENGTH", SUMMARY_LENGTH)),
            parse_cpu_limit=float(config.get("PARSE_CPU_LIMIT", 1.0)),
            parse_cpu_per_mib=float(config.get("PARSE_CPU_PER_MIB", 10.0)),
            parse_processes=int(config.get("PARSE_PROCESSES", 2)),
            lease=float(config.get("VERIFY_LEASE", 60.0)),
            avatar_dir=avatar_store.directory(config),
        )


_local = threading.local()


def _session(policy: FetchPolicy) -> Session:
    """One keep-alive session per worker thread and policy; a thread's session for another
    policy is closed (its kept-alive sockets with it) when it is replaced."""
    cached = getattr(_local, "session", None)
    if cached is None or cached[0] != policy:
        if cached is not None:
            cached[1].close()
        cached = (policy, make_session(policy))
        _local.session = cached
    return cached[1]


@dataclass(frozen=True)
class Reading:
    """What a sandbox child read on the source page: the post, and the author page the
    authorship algorithm asked for, which the child does not fetch (pipeline.author_pages)."""

    data: MentionData
    author_page: str | None = None


def inspect(
    source: str, target: str, settings: PipelineSettings, *, code: str | None = None
) -> MentionData:
    """Fetch `source` and return what it says about `target`; raise FetchError when it can't
    be used (no link included). The page is read in a child process within the CPU budget
    (pipeline.sandbox): no markup can hold the worker longer. With a Private Webmention
    `code`, the source is read with the access token its token endpoint gives for it."""
    started = time.perf_counter()
    session = _session(settings.policy)
    readers = sandbox.pool(settings.parse_processes, settings.parse_cpu_limit)
    try:
        headers = (
            private.bearer_headers(source, code, settings.policy, session, readers)
            if code is not None
            else None
        )
        page = fetch(source, settings.policy, session, check=False, headers=headers)
    except FetchError as exc:
        metrics.fetched(time.perf_counter() - started, exc.kind)
        raise
    metrics.fetched(time.perf_counter() - started, "ok")
    what = f"{page.media_type}, {len(page.body)} bytes"
    # Legitimate pages cost CPU in proportion to their size (comment-heavy markup ~5 s a MiB,
    # bench/README.md); hostile markup is superlinear, so a linear budget still bounds it.
    budget = max(settings.parse_cpu_limit, settings.parse_cpu_per_mib * len(page.body) / 2**20)
    # The wall-clock limit is a net for a stalled machine, not the page's CPU.
    reading: Reading = readers.run(
        read, page, target, settings.policy, settings.summary_length,
        wall_limit=60 * budget, what=what, cpu_limit=budget,
    )  # fmt: skip
    if reading.author_page is None:
        return reading.data
    author = author_pages.author_of(
        reading.author_page, settings.policy, session, readers,
        settings.parse_cpu_limit, settings.parse_cpu_per_mib,
    )  # fmt: skip
    return author_pages.with_author(reading.data, author)


def read(page: Page, target: str, policy: FetchPolicy, summary_length: int) -> Reading:
    """What a fetched page says about `target` (run in a sandbox child); FetchError when it
    does not link to it or can't be read. An author page the authorship algorithm asks for
    is not fetched here but named in the reading: the worker fetches it (inspect)."""
    check_page(page, policy.max_depth)  # binary, undecodable and deep pages: before parsing
    asked: list[str] = []

    def not_fetched_here(url: str) -> dict[str, Any]:
        asked.append(url)
        return {"items": [], "rels": {}}  # no card yet: the fallbacks give the author for now

    try:  # check_page refuses deep pages; this is the net should a parser recurse too far
        if not links_to(page, target):
            raise FetchError(NO_LINK, kind="no_link")
        data = extract(page, target, not_fetched_here, summary_length=summary_length)
    except RecursionError as exc:
        raise HostilePage("the source page is nested too deeply to read") from exc
    return Reading(data, asked[0] if asked else None)


def process_mention(db: Database, mention_id: int, settings: PipelineSettings) -> Outcome | None:
    """Verify one mention and store the verdict. Returns None when there is nothing to do
    (unknown id, or no verification queued). Raises RetryLater for transient failures."""
    claim = store.claim(db, mention_id, settings.lease)
    if claim is None:  # unknown id, no verification queued, or one running elsewhere
        running = store.leased_for(db, mention_id)
        if running is not None:  # a re-send while it runs: verify again once it is done
            raise RetryLater("the mention is being verified by another worker", running + 1)
        return None
    attempts = claim.attempts

    if claim.stops > settings.max_tries:  # a page that kills the worker must not loop forever
        reason = f"verifying the source stopped the worker {claim.stops} times; gave up"
        return store.finish(db, claim, REJECTED, reason, "hostile")
    try:
        try:
            # The lease's renewals end before the try's end is written.
            with lease.held(db, mention_id, settings.lease):
                data = inspect(claim.source, claim.target, settings, code=claim.code)
                vouched = _vouch(db, claim, settings)
                avatar = archive_avatar(data, settings)
        except TransientFetchError as exc:
            if attempts < settings.max_tries:
                countdown = settings.backoff * 2 ** (attempts - 1)
                store.note_retry(db, mention_id, exc.reason, countdown)
                metrics.retried(claim.protocol)
                raise RetryLater(exc.reason, countdown) from exc
            reason = f"{exc.reason} (gave up after {attempts} tries)"
            return store.finish(db, claim, REJECTED, reason, exc.kind)
        except SourceGone as exc:
            return _dropping(db, settings, store.finish(db, claim, DELETED, exc.reason, exc.kind))
        except sandbox.OverBudget as exc:
            # A shown mention whose page grew costlier to read (comments added) keeps its
            # verdict: the page did not change its mind about the target.
            reason = f"{exc.reason}; a shown mention keeps its last verdict"
            return store.finish(db, claim, None, reason, exc.kind, keep_shown=True)
        except FetchError as exc:
            return _dropping(db, settings, store.finish(db, claim, None, exc.reason, exc.kind))
        outcome = store.store(
            db, claim, data, avatar, vouched=vouched.ok, vouch_note=vouched.note or None
        )
        if outcome is not None and outcome.unused_avatar and settings.avatar_dir:
            usage.release(db, FileStore(settings.avatar_dir), [outcome.unused_avatar])
        return outcome
    except RetryLater:
        raise
    except Exception:
        # Not the page's doing and not a stop (a bug, the database, a child that would not
        # start): end the lease so that the next claim counts an attempt, not a stop. The
        # sweeper sends it again; after max_tries of them it ends, so a bug that recurs on
        # this page doesn't cost a try every sweep forever.
        if attempts < settings.max_tries:
            _release(db, mention_id)
            raise
        log.exception("verifying mention %s failed %s times; giving up", mention_id, attempts)
        reason = INTERNAL_ERROR.format(attempts=attempts)
        try:  # rejected; a shown mention is kept as it was, the reason noted
            return store.finish(db, claim, None, reason, "error", keep_shown=True)
        except Exception:
            _release(db, mention_id)  # the database is gone too: a later sweep tries again
            raise


def _vouch(db: Database, claim: store.Claim, settings: PipelineSettings) -> vouch.Vouched:
    """Whether the mention's vouch counts; read only when it could change the verdict (a
    hold_new site, a domain never approved there)."""
    if claim.vouch is None:
        return vouch.Vouched(False, "")
    if not store.vouch_wanted(db, claim):
        return vouch.Vouched(False, "not needed: the site does not hold this source's domain")
    readers = sandbox.pool(settings.parse_processes, settings.parse_cpu_limit)
    return vouch.check(
        claim.vouch, claim.source, store.vouch_trusted(db, claim),
        settings.policy, _session(settings.policy), readers,
    )  # fmt: skip


def archive_avatar(data: MentionData, settings: PipelineSettings) -> archive.Avatar | None:
    """The author's avatar archived (fetched here, in the worker's thread, decoded in a
    sandbox child); None without a photo or an archive. An avatar never decides a verdict:
    whatever goes wrong, the mention is stored without one."""
    if not settings.avatar_dir or not data.author_photo:
        return None
    readers = sandbox.pool(settings.parse_processes, settings.parse_cpu_limit)
    try:
        return archive.archive(
            data.author_photo, data.author_name, settings.policy, _session(settings.policy),
            readers, FileStore(settings.avatar_dir),
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - see above: logged, and the mention goes on
        log.warning("archiving the avatar %s failed", data.author_photo, exc_info=True)
        return None


def _dropping(db: Database, settings: PipelineSettings, outcome: Outcome | None) -> Outcome | None:
    """A mention that ended deleted shows no avatar any more: drop it (and its files)."""
    if outcome and outcome.status == DELETED and outcome.mention_id and settings.avatar_dir:
        usage.drop(db, FileStore(settings.avatar_dir), [outcome.mention_id])
    return outcome


INTERNAL_ERROR = (
    "verifying the source failed {attempts} times on an error of this service (logged for "
    "its operator); gave up"
)


def _release(db: Database, mention_id: int) -> None:
    try:
        store.release(db, mention_id)
    except Exception:  # noqa: BLE001 - the database is gone too: the lease runs out
        log.warning("could not end the lease of mention %s", mention_id, exc_info=True)


__all__ = ["PENDING", "Outcome", "PipelineSettings", "RetryLater", "process_mention"]
