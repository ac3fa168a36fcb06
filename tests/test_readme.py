"""The README stays true: every setting and every command the code has is documented."""

from __future__ import annotations

from pathlib import Path

from pingsvc.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    missing = [name for name in SETTINGS if f"PINGSVC_{name}" not in README]
    assert missing == [], f"document these settings in README.md: {missing}"


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README
