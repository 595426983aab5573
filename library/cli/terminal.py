"""What the CLI prints never drives the terminal: control characters are shown, not sent.

Text that comes from files (titles, file names, a reader's messages quoting a line) can hold ESC sequences that
clear or retitle a terminal or plant hidden links (OSC 8), a bell, a NUL. :func:`main` of the CLI wraps
standard output and standard error in :class:`EscapingStream` for the whole command, so every line any command
prints (import report, search, export to standard output, check, dedupe, entry show, errors) passes through
:func:`show`: tab, newline and CR+LF (CSV and RIS line ends) are kept; any other C0 control character and DEL
become their visible Unicode "control pictures" (ESC -> U+241B), a C1 control character (such as the one-byte
CSI, U+009B) becomes ``<U+009B>``. JSON output stays valid (json already escapes C0; pictures are ordinary
characters).
"""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["EscapingStream", "show"]

_SHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def show(text: str) -> str:
    """``text`` with its control characters made visible (see the module docstring)."""
    return text if text.isprintable() else _SHOWN.sub(_picture, text)


class EscapingStream:
    """A text stream that writes through :func:`show`; everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(show(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
