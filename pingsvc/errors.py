"""Domain exceptions, their pingback faults, and which database errors mean "try again": no
Flask here, so the pure stages can raise them (pingsvc.http_errors answers them over HTTP)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

# Pingback 1.0 fault codes.
FAULT_GENERIC = 0
FAULT_SOURCE_NOT_FOUND = 0x10
FAULT_NO_LINK = 0x11
FAULT_TARGET_NOT_FOUND = 0x20
FAULT_TARGET_INVALID = 0x21
FAULT_ALREADY_REGISTERED = 0x30
FAULT_ACCESS_DENIED = 0x31
FAULT_UPSTREAM = 0x32


class PingError(Exception):
    """A request pingsvc refuses: carries its HTTP status, error code and pingback fault."""

    status = 400
    code = "invalid_request"
    fault = FAULT_GENERIC

    def __init__(self, description: str, *, code: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        if code:
            self.code = code


class InvalidSource(PingError):
    code = "invalid_source"
    fault = FAULT_SOURCE_NOT_FOUND


class InvalidTarget(PingError):
    code = "invalid_target"
    fault = FAULT_TARGET_INVALID


class TargetNotSupported(PingError):
    code = "target_not_supported"
    fault = FAULT_TARGET_INVALID


class Blocked(PingError):
    code = "blocked"
    fault = FAULT_ACCESS_DENIED


class RateLimited(PingError):
    """Over the hourly cap of one source domain: 429 with Retry-After over HTTP. On /xmlrpc,
    fault 0 with HTTP 200: Pingback 1.0 has no code for "too many" (50 means an upstream
    server failed, 49 that access is denied for good) and allows 0 when no other code fits;
    WordPress answers 0 for its refusals outside the spec's list too ("A valid URL was not
    provided", source and target the same resource)."""

    status = 429
    code = "rate_limited"
    fault = FAULT_GENERIC

    def __init__(self, description: str, *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class VouchRequired(PingError):
    """The site asks for a vouch from domains it never approved (Vouch, HTTP 449 "retry
    with"): the sender may send again with a `vouch` URL."""

    status = 449
    code = "vouch_required"
    fault = FAULT_ACCESS_DENIED


class NotFound(PingError):
    status = 404
    code = "not_found"


class SendRefused(PingError):
    """A send pingsvc refuses to queue; the codes are Telegraph's (missing_parameters,
    invalid_parameter, no_link_found, source_not_html), so its clients read them."""

    code = "invalid_parameter"


class NotOurPost(SendRefused):
    """The source is not a post of a registered site (or not of the token's site): pingsvc
    sends only for its own sites, so it is no open relay."""

    status = 403
    code = "forbidden"


class FetchError(Exception):
    """The source could not be fetched, for good: the mention ends rejected with this reason."""

    fault = FAULT_SOURCE_NOT_FOUND
    kind = "unreadable"

    def __init__(
        self,
        reason: str,
        *,
        status_code: int | None = None,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after  # seconds the server asked for (429/503 Retry-After)
        if kind:
            self.kind = kind

    def about(self, what: str) -> FetchError:
        """The same failure told of `what` ("the target", "the endpoint"): fetch.client's
        reasons speak of the source, which is what it fetches most."""
        return type(self)(
            self.reason.replace("the source", what),
            status_code=self.status_code,
            kind=self.kind,
            retry_after=self.retry_after,
        )


class SourceGone(FetchError):
    """The source answered 410 Gone (or says so in a meta tag): the mention is deleted."""

    kind = "gone"


class RefusedAddress(FetchError):
    """The source resolves to an address pingsvc must not connect to."""

    kind = "refused"


class HostilePage(FetchError):
    """Too large, too slow, too many redirects: not worth a retry."""

    fault = FAULT_UPSTREAM
    kind = "hostile"


class TransientFetchError(FetchError):
    """Timeouts, refused connections and 5xx: worth another try later."""

    fault = FAULT_UPSTREAM
    kind = "upstream"


# What a failed verification's Mention.error_kind means to a pingback sender. Nothing stores
# "target_not_found" yet (pingsvc never fetches targets, and Pingback 1.0 allows fault 32 only
# when the target certainly does not exist); it is here so that whoever learns it has a code.
FAULT_BY_KIND = {
    "not_found": FAULT_SOURCE_NOT_FOUND,
    "gone": FAULT_SOURCE_NOT_FOUND,
    "refused": FAULT_SOURCE_NOT_FOUND,
    "unreadable": FAULT_SOURCE_NOT_FOUND,
    "no_link": FAULT_NO_LINK,
    "target_not_found": FAULT_TARGET_NOT_FOUND,
    "upstream": FAULT_UPSTREAM,
    "hostile": FAULT_UPSTREAM,
}


# Seconds a client is told to wait when the database is unavailable: about a PostgreSQL
# restart's length.
DATABASE_RETRY_AFTER = 5


DATABASE_UNAVAILABLE = (
    "The database is not answering right now, so the request may not have been stored; "
    f"sending it again is safe. Try again in {DATABASE_RETRY_AFTER} seconds."
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database can't be reached right now (a restart, a
    failover, a full pool, SQLite busy), as opposed to a bug or an unmigrated schema: SQLite
    reports "no such table" as an OperationalError too, and that is a 500 to fix, not a 503
    to wait out."""
    if isinstance(exc, (sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message
    return True  # PostgreSQL: schema errors are ProgrammingError; these are about the server
