"""Stand-in for pingsvc.portability.importer's Report and ImportFormatError until the
import-formats branch is merged (same fields, same summary line)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class ImportFormatError(Exception):
    """A file that can't be read as the format it claims; the message names file and line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Report:
    """What an import did: counts, and why records were skipped (reason -> how many)."""

    imported: int = 0
    updated: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.reasons[reason] += count

    def summary(self) -> str:
        line = f"imported {self.imported}, updated {self.updated}, skipped {self.skipped}"
        if self.reasons:
            grouped = ", ".join(
                reason if n == self.skipped and len(self.reasons) == 1 else f"{reason} {n}"
                for reason, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            line += f" ({grouped})"
        return line
