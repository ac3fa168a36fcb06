"""The proxy's signed URLs: /avatar/<signature>/<key>-<size>.webp, HMAC over the key."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

SIGNATURE_LENGTH = 32  # hex digits of HMAC-SHA256: 128 bits


@dataclass(frozen=True)
class AvatarLinks:
    """Signs avatar keys with the service's secret key and builds their URLs."""

    base_url: str
    secret: str

    def signature(self, key: str) -> str:
        digest = hmac.new(self.secret.encode(), f"avatar:{key}".encode(), hashlib.sha256)
        return digest.hexdigest()[:SIGNATURE_LENGTH]

    def valid(self, signature: str, key: str) -> bool:
        return hmac.compare_digest(self.signature(key), signature)

    def url(self, key: str, size: int = 192) -> str:
        return f"{self.base_url}/avatar/{self.signature(key)}/{key}-{size}.webp"

    @classmethod
    def from_config(cls, config: Any) -> AvatarLinks:
        return cls(str(config["BASE_URL"]).rstrip("/"), str(config["SECRET_KEY"]))


def current() -> AvatarLinks | None:
    """The links of the app in context (a request, or a task: tasks run in one), else None."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return AvatarLinks.from_config(current_app.config)
