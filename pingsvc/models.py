"""The stored things: accounts, the sites they own, the mentions those sites receive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingsvc.db import Base

URL_MAX = 2048

# Mention states. "pending" only until the first verdict; a re-sent pair keeps its verdict
# visible while the new verification is queued (see Mention.queued_at).
PENDING = "pending"
APPROVED = "approved"
HELD = "held"
REJECTED = "rejected"
DELETED = "deleted"
STATES = (PENDING, APPROVED, HELD, REJECTED, DELETED)
# Mention.protocol of a comment imported from WordPress: it was written on the post's own
# page, so there is no source page to verify; it is never queued for (re-)verification.
COMMENT = "comment"
# Mention.protocol of a pingback: the one kind whose sender waits for the verdict.
PINGBACK = "pingback"


def utcnow() -> datetime:
    """Naive UTC: the same value on SQLite (no time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Carried by every login session of the account; logging out moves it on, so every
    # session cookie signed before (a copied one too) stops working at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sites: Mapped[list[Site]] = relationship(back_populates="owner")


class Site(Base):
    """A host whose posts may receive mentions (`blog.example`)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # "publish" every verified mention, "hold_new" from never-approved domains, "hold_all".
    policy: Mapped[str] = mapped_column(String(16), default="publish")
    token_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # E-mail the owner about each new mention (needs PINGSVC_SMTP_HOST).
    email_notify: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Retention (pingsvc.retention): delete rejected mentions this many days after their
    # verdict, and erase the content of deleted ones (keeping a tombstone); 0 keeps forever.
    retain_rejected_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retain_deleted_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Answer 449 to a webmention without a vouch from a domain never approved (Vouch).
    require_vouch: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Hold a verified mention whose spam score (0-100, pingsvc.spam) reaches this; 101: never.
    spam_threshold: Mapped[int] = mapped_column(Integer, default=60, server_default=text("60"))

    owner: Mapped[Account | None] = relationship(back_populates="sites")


class BlockRule(Base):
    """A source domain or a single source URL whose mentions are refused."""

    __tablename__ = "block_rule"
    __table_args__ = (UniqueConstraint("site_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # "domain" or "url" (of the source); "author" (an author URL, checked at verification).
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Mention(Base):
    """One (source, target) pair and what verification found on the source page."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("source", "target"),
        Index("ix_mention_target_key_status", "target_key", "status"),
        Index("ix_mention_site_received", "site_id", "received_at"),
        Index("ix_mention_queued_at", "queued_at"),
        Index("ix_mention_site_source_host", "site_id", "source_host", "status"),
        Index("ix_mention_notify_queued_at", "notify_queued_at"),
        # The change feed records a mention's replies and copies with it (their entries name
        # it, or it them): these find them without reading the site's mentions.
        Index("ix_mention_parent_id", "parent_id"),
        Index("ix_mention_duplicate_of_id", "duplicate_of_id"),
        # Whether another mention still shows an avatar, before its files are deleted.
        Index("ix_mention_avatar_key", "avatar_key"),
        # What makes a re-import idempotent: one mention per original id of one format.
        UniqueConstraint("site_id", "origin_format", "origin_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(URL_MAX))
    source_host: Mapped[str] = mapped_column(String(255), default="")
    target: Mapped[str] = mapped_column(String(URL_MAX))
    # The target without scheme, trailing slash and fragment: what the read API matches on.
    target_key: Mapped[str] = mapped_column(String(URL_MAX))
    protocol: Mapped[str] = mapped_column(String(16), default="webmention")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    # Machine-readable kind of the last failure (no_link, not_found, gone, refused, hostile,
    # upstream, unreadable): pingback turns it into a fault code.
    error_kind: Mapped[str | None] = mapped_column(String(16))
    # False when the last verification found the post exactly as it was already stored.
    changed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set while a verification is queued or retrying; cleared by the verdict.
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While a worker verifies the mention, until when its claim holds: the worker's heartbeat
    # renews it, the sweeper and other workers leave the mention alone until then. Cleared
    # when the try ends, so one found set at the next claim is a try whose worker died.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    # Tries that ended with their worker gone (counted at the next claim; reset by a verdict).
    stops: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the site's owner was e-mailed about this mention (once per mention).
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The notification outbox: set, in the same transaction, by every change that webhooks or
    # e-mail must hear about (a verdict, the owner's decision, a block); cleared by the
    # transaction that writes the webhook deliveries. The sweeper sends what stays set.
    notify_queued_at: Mapped[datetime | None] = mapped_column(DateTime)

    # What extraction found (null until verified).
    property: Mapped[str | None] = mapped_column(String(32))  # wm-property
    rsvp: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(URL_MAX))
    name: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    content_html: Mapped[str | None] = mapped_column(Text)
    content_text: Mapped[str | None] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(500))
    author_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    author_photo: Mapped[str | None] = mapped_column(String(URL_MAX))
    # The author's avatar in the archive (pingsvc.avatars): what the API and the widget show
    # in place of author_photo, which stays the original URL. Null: none archived.
    avatar_key: Mapped[str | None] = mapped_column(String(40))
    published: Mapped[str | None] = mapped_column(String(40))
    updated: Mapped[str | None] = mapped_column(String(40))
    in_reply_to: Mapped[str | None] = mapped_column(String(URL_MAX))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id", ondelete="SET NULL"))
    # Set when this source is another stored mention's copy (a syndicated copy, or a page whose
    # rel=canonical is that mention): it is then rejected so the post shows once.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("mention.id", ondelete="SET NULL")
    )
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Everything else extraction found: syndication links, canonical URL, site name, excerpt.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where an imported mention came from: the format ("webmention-io", "wordpress") and the
    # id it had there; null for mentions pingsvc received itself.
    origin_format: Mapped[str | None] = mapped_column(String(32))
    origin_id: Mapped[str | None] = mapped_column(String(255))
    # Shown only to the site's owner (token or dashboard), never in a public answer.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Private Webmention: the code the sender gave, exchanged at the source's token endpoint
    # for the token that reads the source (its realm is only shown to the owner).
    code: Mapped[str | None] = mapped_column(String(512))
    realm: Mapped[str | None] = mapped_column(String(255))
    # Vouch: a page on a domain the owner trusts that links to the source's domain, and
    # what verification found it to be worth (approved by it, or why it did not count).
    vouch: Mapped[str | None] = mapped_column(String(URL_MAX))
    vouch_note: Mapped[str | None] = mapped_column(Text)
    # The spam score (0-100) at the last verification and its reasons, in words (pingsvc.spam);
    # null until scored.
    spam_score: Mapped[int | None] = mapped_column(Integer)
    spam_reasons: Mapped[list[str] | None] = mapped_column(JSON)

    site: Mapped[Site] = relationship()


class SpamToken(Base):
    """What "report spam" taught one site's scorer: how many reported mentions held a word."""

    __tablename__ = "spam_token"
    __table_args__ = (UniqueConstraint("site_id", "token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(32))
    reports: Mapped[int] = mapped_column(Integer, default=0)


class MentionChange(Base):
    """One line of a site's change feed (/api/changes.json): this mention may look different
    now. The feed answers with the mention as it is when read (an entry, or a tombstone), so
    a line says only which mention; see pingsvc.changelog for why ids are commit-ordered."""

    __tablename__ = "mention_change"
    __table_args__ = (
        Index("ix_mention_change_site_id", "site_id", "id"),
        # AUTOINCREMENT: SQLite never hands out an id again, so cursors only grow.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # No foreign key: a tombstone outlives whatever happens to its mention row.
    mention_id: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Import job states: queued until the worker takes it; done and failed are final.
IMPORT_STATES = ("queued", "running", "done", "failed")


class ImportJob(Base):
    """A file uploaded on the dashboard's Import page, imported on the worker: where it is
    kept until then, how far the import got and what it reported."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # The site its mentions go to; null for a pingsvc export (it names its own sites).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    # The upload under VAR_DIR/imports (shared by the web process and the worker); removed
    # when the import ends.
    path: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str] = mapped_column(String(32))
    verify: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    records: Mapped[int] = mapped_column(Integer, default=0)  # read so far
    summary: Mapped[str | None] = mapped_column(Text)  # the Report's summary line
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class MentionLink(Base):
    """A URL a verified mention is known by (kind "self": its source, url, canonical and
    syndicated copies) or replies to (kind "reply"), hashed, so threads and duplicates are
    found through an index instead of by reading every mention of a post."""

    __tablename__ = "mention_link"
    __table_args__ = (Index("ix_mention_link_key_kind", "key", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mention.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # "self" or "reply"
    key: Mapped[str] = mapped_column(String(40))  # sha256 of urls.target_key(url), 40 hex


class ModerationAction(Base):
    """The moderation log: who did what to which mention or site, and when."""

    __tablename__ = "moderation_action"
    __table_args__ = (
        Index("ix_moderation_action_site_created", "site_id", "created_at"),
        Index("ix_moderation_action_mention_created", "mention_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # The actor's e-mail as it was, so the log still reads after the account is gone.
    actor: Mapped[str] = mapped_column(String(320))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id", ondelete="SET NULL"))
    # approve, hold, reject, delete, reverify, block, unblock, policy, token, webhook_*, ...
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Webhook(Base):
    """A URL the site's owner wants called on new, updated and deleted mentions."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    # Sent in the body (as webmention.io does) and used as the HMAC-SHA256 signing key.
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    site: Mapped[Site] = relationship()


class WebhookDelivery(Base):
    """One notification to one webhook: its body, and how sending it went (the delivery log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_webhook_created", "webhook_id", "created_at"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_mention", "mention_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(16))  # new, updated, deleted, test
    # The JSON body without the secret (added when sending, so a rotated secret applies).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # queued, retrying, delivered or failed.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)

    webhook: Mapped[Webhook] = relationship()


# Outgoing states: "queued" until a delivery's last try; the other three are final.
QUEUED = "queued"
ACCEPTED = "accepted"
NOT_SUPPORTED = "not_supported"
ERROR = "error"
SEND_STATES = (QUEUED, ACCEPTED, NOT_SUPPORTED, ERROR)
FINAL_SEND_STATES = (ACCEPTED, NOT_SUPPORTED, ERROR)


class Outgoing(Base):
    """One (source, target) pair pingsvc sent, or is sending, for one of its sites' posts:
    where it went and how it ended. Kept after the link goes, so re-sends reach it."""

    __tablename__ = "outgoing"
    __table_args__ = (
        UniqueConstraint("source", "target"),
        Index("ix_outgoing_site_updated", "site_id", "updated_at"),
        Index("ix_outgoing_queued_at", "queued_at"),
        Index("ix_outgoing_host_lease", "target_host", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # The API location's id: random, so one site's token holder can't walk another's sends.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(URL_MAX))
    target: Mapped[str] = mapped_column(String(URL_MAX))
    # The target's host, so deliveries can be paced per receiving host.
    target_host: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    protocol: Mapped[str | None] = mapped_column(String(16))  # webmention, pingback
    endpoint: Mapped[str | None] = mapped_column(String(URL_MAX))
    http_code: Mapped[int | None] = mapped_column(Integer)
    # What the receiver said, in words: its answer, the pingback result or fault string.
    summary: Mapped[str | None] = mapped_column(Text)
    # The receiver's status URL (its Location header), when it gave one.
    location: Mapped[str | None] = mapped_column(String(URL_MAX))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Called (a form POST through the webhook guard) when the status becomes final.
    callback: Mapped[str | None] = mapped_column(String(URL_MAX))
    # Still linked from the post at the last send; False: the link was removed (or the post
    # is gone) and the send told the receiver so.
    linked: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Set while a delivery is queued or retrying (the sweeper re-sends what outlives its
    # message); cleared by the final status.
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    # While a worker delivers it, until when its claim holds: claims count per receiving
    # host, so that only a few requests go to one host at a time.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # When the last delivery ended (whatever its status).
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Private Webmention: sent with the webmention for a private post (a per-send option).
    code: Mapped[str | None] = mapped_column(String(512))
    realm: Mapped[str | None] = mapped_column(String(255))

    site: Mapped[Site] = relationship()


class Feed(Base):
    """A feed of the author's own posts that pingsvc watches: its new and changed entries
    are sent (see pingsvc.send.feedpoll)."""

    __tablename__ = "feed"
    __table_args__ = (UniqueConstraint("site_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    # The validators of the last 200 answer, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # Until the first poll: whether it sends the entries already there (feed add
    # --send-existing) or only records them.
    send_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    # When a poll first read the feed (null: never; the next poll is the first).
    primed_at: Mapped[datetime | None] = mapped_column(DateTime)
    polled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What the last poll found wrong (null when it went well).
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    site: Mapped[Site] = relationship()


class FeedEntry(Base):
    """One post a watched feed listed, by URL, with the fingerprint of its content: an entry
    is due to be sent while `fingerprint` differs from `sent_fingerprint`."""

    __tablename__ = "feed_entry"
    __table_args__ = (UniqueConstraint("feed_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(URL_MAX))
    # sha256 of what the feed says of the entry (title, content, dates), 64 hex.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The fingerprint last queued to send (or recorded unsent by a first poll); null: never.
    sent_fingerprint: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When the entry's send was last queued (null: never sent).
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
