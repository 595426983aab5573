"""What the CLI prints never drives the terminal: control characters are shown, not sent.

Text that comes from files (titles, file names, a reader's messages quoting a line) can hold ESC sequences that
clear or retitle a terminal or plant hidden links (OSC 8), a bell, a NUL. :func:`main` of the CLI wraps
standard output and standard error in :class:`EscapingStream` for the whole command, so every line any command
prints (import report, search, export to standard output, check, dedupe, entry show, errors) passes through
:func:`show`: tab, newline and CR+LF (CSV and RIS line ends) are kept; any other C0 control character and DEL
become their visible Unicode "control pictures" (ESC -> U+241B), a C1 control character (such as the one-byte
CSI, U+009B) becomes ``<U+009B>``. JSON output stays valid (json already escapes C0; pictures are ordinary
characters).

Invisible format characters that change how a line reads without being seen are shown as ``<U+202E>`` too: the
bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, the "Trojan Source" characters
that make a terminal draw text in another order than it was written), the direction marks (U+200E, U+200F,
U+061C), zero-width space, word joiner and invisible operators (U+200B, U+2060-U+2064), the deprecated format
characters (U+206A-U+206F), U+FEFF, the line and paragraph separators (U+2028, U+2029), interlinear annotation
marks (U+FFF9-U+FFFB) and the invisible tag characters (U+E0000-U+E007F). Zero-width (non-)joiners (U+200C,
U+200D) and the soft hyphen are kept: scripts and emoji need them and they cannot reorder or hide text. Data
written to standard output (``export``, ``entry render``, a screening export) shows these format characters only
when standard output is a terminal (:func:`write_data`): piped into a file, a Hebrew or Arabic title keeps its
direction marks.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, TextIO

__all__ = ["INVISIBLE", "EscapingStream", "show", "write_data"]

_CONTROLS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)"
INVISIBLE = ("\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
             "\ufff9-\ufffb\U000e0000-\U000e007f")
_SHOWN = re.compile(f"{_CONTROLS}|[{INVISIBLE}]")
_SHOWN_CONTROLS = re.compile(_CONTROLS)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def show(text: str, invisible: bool = True) -> str:
    """``text`` with its control characters (and with ``invisible`` its invisible format characters) made
    visible (see the module docstring)."""
    if text.isprintable():  # every character shown is unprintable to Python (categories Cc, Cf, Zl, Zp)
        return text
    return (_SHOWN if invisible else _SHOWN_CONTROLS).sub(_picture, text)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class EscapingStream:
    """A text stream that writes through :func:`show`; everything else is the wrapped stream's.

    When the reader of a pipe goes away (``reflib import FILE | head -1``), the rest of the output is dropped and
    the command goes on to finish its work (an import still saves): a closed pipe never stops a command half way,
    between its report and its save."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream
        self.terminal = _is_terminal(stream)
        self.reader_gone = False

    def _put(self, text: str) -> None:
        if self.reader_gone:
            return
        try:
            self.wrapped.write(text)
        except BrokenPipeError:
            self._drop_output()

    def _drop_output(self) -> None:
        self.reader_gone = True
        try:  # what is still buffered, and the interpreter's flush at exit, go nowhere instead of failing again
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.wrapped.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # a stream without a descriptor (a test's capture)
            pass

    def write(self, text: str) -> int:
        self._put(show(text))
        return len(text)

    def write_data(self, text: str) -> int:
        """Write data (an export): control characters shown, invisible format characters only on a terminal."""
        self._put(show(text, self.terminal))
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.wrapped.flush()
            except BrokenPipeError:
                self._drop_output()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def write_data(text: str) -> None:
    """Write an export's text to standard output (see :meth:`EscapingStream.write_data`)."""
    out = sys.stdout
    if isinstance(out, EscapingStream):
        out.write_data(text)
    else:
        out.write(show(text, _is_terminal(out)))
