"""Fetching an author photo into the archive, at verification, in the worker's thread.

The photo is fetched by the worker (as pipeline.author_pages fetches author pages), never
in a sandbox child, so a slow photo host holds no parse slot; only the decoding runs in a
child, under its CPU budget. A sender's many mentions share one fetch: results are
remembered per photo URL. Keys are content addresses (sha256 of the photo's bytes), so
the served files never change and can be cached for a year.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from pingsvc.avatars import image
from pingsvc.avatars.store import AvatarStore
from pingsvc.errors import FetchError
from pingsvc.fetch.client import Session, fetch
from pingsvc.fetch.policy import FetchPolicy
from pingsvc.pipeline import sandbox

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024  # of a photo as sent; an avatar is a few KiB
CPU_LIMIT = 2.0  # seconds of CPU to decode and resize one photo
TTL = 3600.0
FAILED_TTL = 600.0
_MAX_ENTRIES = 1000
# photo URL -> (until, key or None, why it was not usable)
_cache: dict[str, tuple[float, str | None, str | None]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Avatar:
    """What the archive holds for a mention's author: the key, and what it was made from."""

    key: str
    original: str | None  # the photo URL (None: the author gave none)
    generated: bool = False  # initials, as the photo was missing or broken
    reason: str | None = None

    def as_extra(self) -> dict[str, Any]:
        return {"original": self.original, "generated": self.generated, "reason": self.reason}


def archive(
    photo: str | None,
    name: str | None,
    policy: FetchPolicy,
    session: Session,
    readers: sandbox.Pool,
    store: AvatarStore,
) -> Avatar | None:
    """The avatar for an author: the photo at `photo` archived, or generated initials when
    it is missing or broken; None when the author gave no photo (the API says null and the
    widget draws the initial, as webmention.io clients expect)."""
    if not photo:
        return None
    now = time.monotonic()
    with _lock:
        hit = _cache.get(photo)
    # A remembered key whose files went since (no mention showed them) is fetched anew.
    if hit is not None and hit[0] > now and (hit[1] is None or _kept(store, hit[1])):
        key, reason = hit[1], hit[2]
    else:
        key, reason = _fetch(photo, policy, session, readers, store)
        with _lock:
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()
            _cache[photo] = (time.monotonic() + (TTL if key else FAILED_TTL), key, reason)
    if key is not None:
        return Avatar(key, photo)
    fallback = image.initials_key(name or "")
    if store.get(f"{fallback}-96.webp") is None:
        _put(
            store, fallback, readers.run(image.initials, name or "", wall_limit=60, what="initials")
        )
    return Avatar(fallback, photo, generated=True, reason=reason)


def _fetch(
    url: str,
    policy: FetchPolicy,
    session: Session,
    readers: sandbox.Pool,
    store: AvatarStore,
) -> tuple[str | None, str | None]:
    """(key, None) once the photo is in the store, or (None, why it can't be)."""
    try:
        page = fetch(url, dataclasses.replace(policy, max_bytes=MAX_BYTES), session, check=False)
        if not page.media_type.startswith("image/") or page.media_type == "image/svg+xml":
            raise FetchError(f"the author photo is {page.media_type or 'untyped'}, not an image")
        key = hashlib.sha256(page.body).hexdigest()[:40]
        if not _kept(store, key):  # the same bytes as an archived photo: nothing to decode
            sizes = readers.run(
                image.render, page.body, wall_limit=60 * CPU_LIMIT, cpu_limit=CPU_LIMIT,
                what=f"{page.media_type}, {len(page.body)} bytes", subject="the author photo",
            )  # fmt: skip
            _put(store, key, sizes)
        return key, None
    except FetchError as exc:
        log.info("author photo %s not usable: %s", url, exc.reason)
        return None, exc.reason
    except RuntimeError:  # a bug decoding it (the child's traceback): initials instead
        log.warning("decoding author photo %s failed", url, exc_info=True)
        return None, "the author photo could not be decoded"


def _kept(store: AvatarStore, key: str) -> bool:
    return store.get(f"{key}-192.webp") is not None


def _put(store: AvatarStore, key: str, sizes: dict[int, bytes]) -> None:
    for size, data in sizes.items():
        store.put(f"{key}-{size}.webp", data)


def forget() -> None:
    """Drop every remembered photo URL (tests; and the re-verification of one mention)."""
    with _lock:
        _cache.clear()
