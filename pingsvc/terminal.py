"""The one place where strangers' text (a receiver's answer, an endpoint URL, a feed's
words) is made safe to print on the operator's terminal: control characters shown escaped."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (ESC starts the sequences that retitle, clear or remap a
# terminal; a C1 CSI does the same on some), the bidirectional overrides and isolates that
# make a line read other than it is ("Trojan Source"), and the line and paragraph
# separators. Printable text, emoji joiners included, passes as it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`text` as a string with every control character written as an escape (ESC becomes
    the four characters `\\x1b`), so printing it can only ever show it."""
    return _UNSAFE.sub(_escaped, str(text))
