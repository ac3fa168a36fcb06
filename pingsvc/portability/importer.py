"""import_records(): stores what an import reader yields, idempotently and batch by batch,
and the Report of what it did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class ImportFormatError(Exception):
    """A file that can't be read as the format it claims: the message names the file and the
    line (JSON) or the line and element (XML), and says what is wrong."""

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

    def add(self, other: Report) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.skipped += other.skipped
        self.reasons.update(other.reasons)

    def summary(self) -> str:
        """`imported N, updated N, skipped N (reason N, ...)`, the import's one line."""
        line = f"imported {self.imported}, updated {self.updated}, skipped {self.skipped}"
        if self.reasons:
            grouped = ", ".join(
                reason if n == self.skipped and len(self.reasons) == 1 else f"{reason} {n}"
                for reason, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            line += f" ({grouped})"
        return line
