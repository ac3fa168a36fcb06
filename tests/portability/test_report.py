"""Report.summary(): the import's one line, skipped reasons grouped; and the progress calls."""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask

from pingsvc.portability.importer import Report
from tests.portability.helpers import import_wordpress


@pytest.mark.parametrize(
    ("report", "line"),
    [
        (Report(), "imported 0, updated 0, skipped 0"),
        (
            Report(0, 0, 12, Counter({"already imported": 12})),
            "imported 0, updated 0, skipped 12 (already imported)",
        ),
        (
            Report(3, 1, 5, Counter({"target not on blog.example": 1, "already imported": 4})),
            "imported 3, updated 1, skipped 5 (already imported 4, target not on blog.example 1)",
        ),
    ],
)
def test_summary_groups_the_reasons(report: Report, line: str) -> None:
    assert report.summary() == line


def test_progress_is_told_of_every_batch(app: Flask) -> None:
    seen: list[int] = []
    import_wordpress(app, batch_size=5, progress=seen.append)
    assert seen == [5, 5, 2]
