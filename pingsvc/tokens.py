"""Site API tokens: made once and shown once; only their SHA-256 is stored (Site.token_hash)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingsvc.models import Site

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """What Site.token_hash holds: a leaked database does not leak usable tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rotate(site: Site) -> str:
    """Give `site` a new token (the old one stops working) and return it, to be shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    site.token_hash = hash_token(token)
    return token


def site_for_token(session: Session, token: str) -> Site | None:
    """The site whose token this is, or None. The lookup is by hash, so the comparison never
    touches the token itself."""
    if not token or len(token) > 256:
        return None
    return session.scalars(select(Site).where(Site.token_hash == hash_token(token))).first()
