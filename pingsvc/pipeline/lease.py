"""The leases of the verifications this process is running, renewed by one heartbeat thread:
while a worker lives its mentions are not re-sent; once it dies their leases run out."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, update

from pingsvc.db import Database
from pingsvc.models import Mention, utcnow

log = logging.getLogger(__name__)

_mention = cast(Table, Mention.__table__)
# Only a lease still set is renewed: the try's end clears it, and a renewal racing that
# write must not set it again (the next claim would count a stop that never happened).
_RENEW = (
    update(_mention)
    .where(_mention.c.id.in_(bindparam("ids", expanding=True)), _mention.c.lease_until.is_not(None))
    .values(lease_until=bindparam("until"))
)


class _Heartbeat:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Start empty: also in a forked child, which runs none of its parent's verifications."""
        self._wake = threading.Condition()
        self._held: dict[tuple[Database, float], dict[int, int]] = {}
        self._thread: threading.Thread | None = None

    def hold(self, db: Database, mention_id: int, seconds: float) -> None:
        with self._wake:
            ids = self._held.setdefault((db, seconds), {})
            ids[mention_id] = ids.get(mention_id, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pingsvc-lease-heartbeat", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def release(self, db: Database, mention_id: int, seconds: float) -> None:
        with self._wake:
            ids = self._held.get((db, seconds), {})
            ids[mention_id] = ids.get(mention_id, 1) - 1
            if ids[mention_id] <= 0:
                del ids[mention_id]
            if not ids:
                self._held.pop((db, seconds), None)

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._held:
                    self._wake.wait()  # woken by the next hold
                    continue
                # A beat every third of the shortest lease held. A hold's wake-up brings the
                # beat forward only when its lease is shorter than the one the beat was timed
                # for (a fresh claim of the same length needs no renewal before it); once the
                # shorter leases are released, the beat is timed for what is still held, so a
                # long lease is not renewed at a released short one's pace.
                started = time.monotonic()
                timed_for = min(seconds for _, seconds in self._held)
                due = started + timed_for / 3
                while self._held and (left := due - time.monotonic()) > 0:
                    self._wake.wait(left)
                    if not self._held:
                        break
                    shortest = min(seconds for _, seconds in self._held)
                    if shortest < timed_for:
                        due = min(due, time.monotonic() + shortest / 3)
                    elif shortest > timed_for:
                        due = started + shortest / 3
                    timed_for = shortest
                held = [(db, seconds, list(ids)) for (db, seconds), ids in self._held.items()]
                self._wake.release()  # the statements run without blocking hold and release
                try:
                    for db, seconds, ids in held:
                        _renew(db, ids, seconds)
                finally:
                    self._wake.acquire()


def _renew(db: Database, ids: list[int], seconds: float) -> None:
    if not ids:
        return
    until = utcnow() + timedelta(seconds=seconds)
    try:
        with db.autocommit.connect() as conn:
            conn.execute(_RENEW, {"ids": ids, "until": until})
    except Exception:  # noqa: BLE001 - a database outage: the next beat tries again
        log.warning("could not renew the leases of %d verifications", len(ids), exc_info=True)


_HEARTBEAT = _Heartbeat()
os.register_at_fork(after_in_child=_HEARTBEAT._reset)


@contextlib.contextmanager
def held(db: Database, mention_id: int, seconds: float) -> Iterator[None]:
    """Renew the mention's lease (set by its claim) every third of `seconds` until the block
    ends; the try's end, written after it, clears the lease."""
    _HEARTBEAT.hold(db, mention_id, seconds)
    try:
        yield
    finally:
        _HEARTBEAT.release(db, mention_id, seconds)
