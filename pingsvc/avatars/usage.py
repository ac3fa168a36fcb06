"""Which archived avatars mentions still show, and deleting the files of the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exists, select, update

from pingsvc.avatars import image
from pingsvc.avatars.store import AvatarStore
from pingsvc.db import Database
from pingsvc.models import Mention


def release(db: Database, store: AvatarStore, keys: Sequence[str | None]) -> None:
    """Delete the stored avatars of `keys` that no mention uses any more."""
    for key in {k for k in keys if k}:
        with db.session() as session:
            used = session.scalar(select(exists().where(Mention.avatar_key == key)))
        if not used:
            for size in image.SIZES:
                store.delete(f"{key}-{size}.webp")


def drop(db: Database, store: AvatarStore, mention_ids: list[int]) -> None:
    """Forget the avatars of deleted mentions, and their files where no other uses them."""
    if not mention_ids:
        return
    with db.session() as session:
        keys = list(session.scalars(select(Mention.avatar_key).where(Mention.id.in_(mention_ids))))
        session.execute(update(Mention).where(Mention.id.in_(mention_ids)).values(avatar_key=None))
        session.commit()
    release(db, store, keys)


def erase_hook(db: Database, store: AvatarStore) -> Callable[[Sequence[Any]], None]:
    """For pingsvc.retention.erase_hooks: mentions retention or "forget" erased show no
    avatar any more: the files of theirs no other mention shows go."""

    def drop_erased(erased: Sequence[Any]) -> None:
        release(db, store, [e.avatar_key for e in erased])

    return drop_erased
