"""Where archived avatars are kept: a small interface, and the folder under VAR_DIR.

An S3-compatible store needs only these three methods; names are checked here so no
store ever sees a path it did not make.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

NAME = re.compile(r"^[0-9a-f]{40}-(96|192)\.webp$")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ValueError(f"not an avatar name: {name!r}")
    return name


class AvatarStore(Protocol):
    """The archive's storage: whole files by name (`<key>-<size>.webp`)."""

    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes | None: ...
    def delete(self, name: str) -> None: ...


class FileStore:
    """Avatars as files under one folder (by default VAR_DIR/avatars), two levels by key."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        check_name(name)
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half an avatar.
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def directory(config: Mapping[str, Any]) -> str:
    """PINGSVC_AVATAR_DIR, by default VAR_DIR/avatars."""
    return str(config.get("AVATAR_DIR") or Path(str(config["VAR_DIR"])) / "avatars")


def from_config(config: Mapping[str, Any]) -> AvatarStore:
    """The configured store (the folder; an S3-compatible one would be chosen here)."""
    return FileStore(directory(config))
