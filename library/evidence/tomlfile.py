"""Reading the editor-maintained TOML files (taxonomy, encyclopedia entries) with errors that name a line.

Editors change these files by hand, so every mistake must point at the line to fix. ``tomllib`` reports syntax
errors with a line in its message; semantic errors (a duplicate slug, an unknown parent, a cycle) are found after
parsing, when positions are gone, so :class:`TableLocator` finds them again in the text: the n-th ``[[table]]``
header starts the n-th item of an array of tables, and ``key =`` inside that item is the line of that key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LibraryError

__all__ = ["EvidenceFileError", "FileProblem", "TableLocator", "parse_toml", "read_text"]


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One mistake in an editor's file; ``line`` is 1-based (0 when it cannot be placed)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class EvidenceFileError(LibraryError):
    """A taxonomy or entries file that cannot be used; carries every problem found, each with its line."""

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        text = "\n".join(str(p) for p in problems[:20])
        if len(problems) > 20:
            text += f"\n... and {len(problems) - 20} more"
        super().__init__(text)

    @property
    def line(self) -> int:
        return self.problems[0].line if self.problems else 0


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")


def read_text(path: Path) -> str:
    """The file's text; unreadable or non-UTF-8 files become an :class:`EvidenceFileError`."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise EvidenceFileError([FileProblem(str(path), 0, "no such file")]) from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise EvidenceFileError([FileProblem(str(path), line, "not UTF-8 text")]) from exc
    except OSError as exc:
        raise EvidenceFileError([FileProblem(str(path), 0, f"cannot read ({exc.strerror})")]) from exc


def parse_toml(text: str, path: str) -> dict[str, Any]:
    """``tomllib.loads`` whose syntax errors carry the file name and line in the project's error type."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        if match and match.group(1):
            line = int(match.group(1))
        elif match:  # "at end of document"
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
        else:
            line = 0
        reason = _TOML_POSITION.sub("", message).strip()
        raise EvidenceFileError([FileProblem(path, line, f"TOML syntax error: {reason}")]) from exc


class TableLocator:
    """Finds the source line of the n-th item of an array of tables (``[[name]]``) and of its keys."""

    def __init__(self, text: str, table: str) -> None:
        self.lines = text.splitlines()
        header = re.compile(r"^\s*\[\[\s*" + re.escape(table) + r"\s*\]\]\s*(#.*)?$")
        any_header = re.compile(r"^\s*\[")
        self.starts = [i for i, line in enumerate(self.lines) if header.match(line)]
        self.ends: list[int] = []
        for start in self.starts:
            end = start + 1
            while end < len(self.lines) and not any_header.match(self.lines[end]):
                end += 1
            self.ends.append(end)

    def item_line(self, index: int) -> int:
        """1-based line of the item's ``[[table]]`` header (0 when the item was written another way)."""
        return self.starts[index] + 1 if index < len(self.starts) else 0

    def key_line(self, index: int, key: str) -> int:
        """1-based line of ``key = ...`` inside the item; the header's line when the key is not found."""
        if index >= len(self.starts):
            return 0
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for i in range(self.starts[index] + 1, self.ends[index]):
            if pattern.match(self.lines[i]):
                return i + 1
        return self.item_line(index)


def find_beside(bib_path: str | os.PathLike[str] | None, filename: str, env_var: str) -> Path | None:
    """Which evidence file applies: ``$env_var``, else ``filename`` beside the library, else the bundled one
    (at the repository root, beside the bundled ``references.bib``)."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    if bib_path is not None:
        beside = Path(bib_path).resolve().parent / filename
        if beside.is_file():
            return beside
    bundled = Path(__file__).resolve().parents[2] / filename
    return bundled if bundled.is_file() else None
