"""The /demo post's sample mentions, stored once through the models by `pingsvc demo seed` so
that the demo widget reads them from the real API, and the avatars they use (served locally:
no network)."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingsvc import changelog
from pingsvc.avatars import image
from pingsvc.avatars.store import AvatarStore
from pingsvc.models import APPROVED, Mention, Site, utcnow
from pingsvc.urls import target_key

log = logging.getLogger(__name__)

HOST = "demo.pingsvc.invalid"
TARGET = f"https://{HOST}/post"
# What stores the samples (`make run` runs it before `pingsvc serve`).
SEED_COMMAND = "pingsvc demo seed"

# One of every kind a reader meets: threaded replies, likes and reposts (some without a
# photo, so the generated initial shows), a bookmark, an RSVP, a microformats mention, a
# WordPress-style pingback and a webmention from a page without microformats.
# "avatar" is a number for /demo/avatar/N.svg; "parent" is the key of the reply answered.
SAMPLES: list[dict[str, Any]] = [
    {
        "key": "aaron", "property": "in-reply-to", "days": 6, "author": "Aaron Parecki",
        "avatar": 1, "site": "https://aaron.example/",
        "text": "This is exactly the write-up I wanted to send people who ask how webmentions "
        "work. The part about verifying the source before showing anything is spot on.",
    },
    {
        "key": "reply-to-aaron", "parent": "aaron", "property": "in-reply-to", "days": 5,
        "author": "Jamie Tanna (author)", "avatar": 2, "site": "https://jamie.example/",
        "text": "Thanks Aaron! That check is the whole reason I wrote my own receiver.",
    },
    {
        "key": "aaron-again", "parent": "reply-to-aaron", "property": "in-reply-to", "days": 5,
        "author": "Aaron Parecki", "avatar": 1, "site": "https://aaron.example/",
        "text": "It shows. Looking forward to the follow-up on moderation.",
    },
    {
        "key": "chioma", "property": "in-reply-to", "days": 3, "author": "Chioma Okafor",
        "site": "https://chioma.example/",
        "text": "Does this work with a static site? I build mine with Eleventy.",
    },
    {
        "key": "reply-to-chioma", "parent": "chioma", "property": "in-reply-to", "days": 2,
        "author": "Jamie Tanna (author)", "avatar": 2, "site": "https://jamie.example/",
        "text": "Yes: one script tag, or include the HTML fragment at build time.",
    },
    {"key": "like-1", "property": "like-of", "days": 6, "author": "Dana Lee", "avatar": 3,
     "site": "https://dana.example/"},
    {"key": "like-2", "property": "like-of", "days": 5, "author": "Eve Martin", "avatar": 4,
     "site": "https://eve.example/"},
    {"key": "like-3", "property": "like-of", "days": 4, "author": "Farid Haddad",
     "site": "https://farid.example/"},
    {"key": "like-4", "property": "like-of", "days": 4, "author": "Grace Ito", "avatar": 5,
     "site": "https://grace.example/"},
    {"key": "like-5", "property": "like-of", "days": 1, "author": "Hugo Brandt",
     "site": "https://hugo.example/"},
    {"key": "repost-1", "property": "repost-of", "days": 5, "author": "Ines Duarte",
     "avatar": 6, "site": "https://ines.example/"},
    {"key": "repost-2", "property": "repost-of", "days": 2, "author": "Kofi Mensah",
     "site": "https://kofi.example/"},
    {
        "key": "bookmark", "property": "bookmark-of", "days": 4, "author": "Lena Novak",
        "avatar": 7, "site": "https://lena.example/", "name": "Reading list: the IndieWeb",
    },
    {
        "key": "rsvp", "property": "rsvp", "rsvp": "yes", "days": 3, "author": "Mateo Ruiz",
        "avatar": 8, "site": "https://mateo.example/",
        "text": "I'll bring the projector for the webmention session.",
    },
    {
        "key": "mention", "property": "mention-of", "days": 2, "author": "Nora Svensson",
        "avatar": 9, "site": "https://nora.example/", "name": "Weekly links #42",
        "text": "A clear walk through sending and receiving webmentions, with a widget.",
    },
    {
        "key": "pingback", "property": "mention-of", "days": 1, "author": "Fernby Films",
        "site": "https://fernby.example/", "protocol": "pingback",
        "name": "Movie Review – Her", "site_name": "Fernby Films",
        "text": "[…] the way the film handles conversation reminded me of this post about "
        "conversations across blogs […]",
    },
    {
        "key": "plain-page", "property": "mention-of", "days": 0, "author": "Linkblog",
        "site": "https://linkblog.example/", "name": "Links for Tuesday",
        "site_name": "Linkblog", "text": "[…] webmentions, explained simply […]",
    },
]  # fmt: skip


def is_seeded(session: Session) -> bool:
    """Whether the demo post has its mentions (read only: /demo never writes)."""
    site_id = session.scalar(select(Site.id).where(Site.host == HOST))
    return site_id is not None and bool(
        session.scalar(select(func.count()).select_from(Mention).where(Mention.site_id == site_id))
    )


def seed(session: Session, base_url: str, avatars: AvatarStore | None = None) -> bool:
    """Store the demo post's sample mentions unless it has mentions already; whether it did.
    `base_url` is where the service answers: the avatars' addresses start with it. With
    `avatars`, the sample avatars are put in the archive, as verification would."""
    if is_seeded(session):
        return False
    keys = {n: archive_avatar(avatars, n) for n in _avatar_numbers()} if avatars else {}
    try:
        site = session.scalar(select(Site).where(Site.host == HOST))
        if site is None:
            # Real mentions sent to the demo host are held, never shown.
            site = Site(host=HOST, policy="hold_all")
            session.add(site)
            session.flush()
        stored: dict[str, Mention] = {}
        for sample in SAMPLES:
            stored[sample["key"]] = mention = _mention(site, sample, base_url)
            mention.avatar_key = keys.get(sample.get("avatar", 0))
            session.add(mention)
        session.flush()
        for sample in SAMPLES:
            if "parent" in sample:
                reply, parent = stored[sample["key"]], stored[sample["parent"]]
                reply.parent_id, reply.in_reply_to = parent.id, parent.source
        changelog.record(session, [m.id for m in stored.values()])
        session.commit()
    except IntegrityError:  # another `pingsvc demo seed` stored them at the same moment
        session.rollback()
        log.info("demo mentions were seeded by another process")
        return False
    return True


def _mention(site: Site, sample: dict[str, Any], base_url: str) -> Mention:
    moment = utcnow() - timedelta(days=sample["days"], hours=len(sample["key"]))
    source = f"{sample['site']}{moment:%Y/%m}/{sample['key']}"
    text = sample.get("text")
    extra: dict[str, Any] = {"microformats": "site_name" not in sample}
    if sample.get("site_name"):
        extra["site_name"] = sample["site_name"]
    return Mention(
        site_id=site.id,
        source=source,
        source_host=source.split("/")[2],
        target=TARGET,
        target_key=target_key(TARGET),
        protocol=sample.get("protocol", "webmention"),
        status=APPROVED,
        property=sample["property"],
        rsvp=sample.get("rsvp"),
        url=source,
        name=sample.get("name"),
        summary=text,
        content_text=text,
        author_name=sample["author"],
        author_url=sample["site"],
        author_photo=f"{base_url}/demo/avatar/{sample['avatar']}.svg"
        if "avatar" in sample
        else None,
        published=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        received_at=moment,
        verified_at=moment,
        in_reply_to=TARGET if sample["property"] in ("in-reply-to", "rsvp") else None,
        extra=extra,
    )


def _avatar_numbers() -> set[int]:
    return {int(s["avatar"]) for s in SAMPLES if "avatar" in s}


def archive_avatar(avatars: AvatarStore, number: int) -> str:
    """Put a sample author's identicon in the avatar archive; its key. (Our own bytes, so
    they are decoded here, not in the sandbox verification uses for a stranger's photo.)"""
    picture = Image.new("RGB", (7, 7))
    draw = ImageDraw.Draw(picture)
    light, dark, cells = _identicon(number)
    draw.rectangle((0, 0, 6, 6), fill=light)
    for x, y in cells:
        draw.point((x, y), fill=dark)
    buffer = io.BytesIO()
    picture.resize((192, 192), Image.Resampling.NEAREST).save(buffer, "PNG")
    key = hashlib.sha256(buffer.getvalue()).hexdigest()[:40]
    for size, data in image.render(buffer.getvalue()).items():
        avatars.put(f"{key}-{size}.webp", data)
    return key


def _identicon(number: int) -> tuple[str, str, list[tuple[int, int]]]:
    digest = hashlib.sha256(str(number).encode()).digest()
    hue = digest[0] * 360 // 256
    cells = [
        (x + 1, row + 1)
        for row in range(5)
        for col in range(3)
        if digest[1 + row * 3 + col] % 2
        for x in sorted({col, 4 - col})
    ]
    return f"hsl({hue}, 45%, 92%)", f"hsl({hue}, 55%, 42%)", cells


def avatar_svg(number: int) -> str:
    """A symmetric 5×5 identicon for sample authors: looks like a picture, costs no request."""
    digest = hashlib.sha256(str(number).encode()).digest()
    hue = digest[0] * 360 // 256
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="96" height="96">'
        f'<rect width="7" height="7" fill="hsl({hue} 45% 92%)"/>'
        f'<g fill="hsl({hue} 55% 42%)">{"".join(cells)}</g></svg>'
    )
