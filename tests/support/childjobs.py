"""Run in a sandbox child (pipeline.sandbox): what a job imports there, that is, what the
forkserver's preload left for each new child to import. Imports nothing a job needs, so
that unpickling it in the child brings none of it."""

from __future__ import annotations

import importlib
import sys
from typing import Any


def imports_of(module: str, name: str, *args: Any) -> list[str]:
    """The modules `module.name(*args)` imports in this process."""
    before = set(sys.modules)
    getattr(importlib.import_module(module), name)(*args)
    return sorted(set(sys.modules) - before)
