"""Reference readings of RIS for the tests: rispy (the oracle for ingest.readers.ris.ris_tags) and a plain
line-by-line reading (the oracle on randomly broken files, where rispy itself merges records)."""

from __future__ import annotations

import string
from collections.abc import Iterator

import rispy

from ingest.base import ReadProblem

Tags = dict[str, list[str]]
# every possible tag maps to itself and is a list tag, so repeated and continuation lines are all kept
ALL_TAGS = {a + b: a + b for a in string.ascii_uppercase for b in string.ascii_uppercase + string.digits}
RIS_PARSER = rispy.RisParser(mapping=ALL_TAGS, list_tags=frozenset(ALL_TAGS), delimiter_tags_mapping={})


def _records(text: str) -> Iterator[list[str]]:
    """The lines of each complete record (``TY  -`` ... ``ER``), as the reader cuts them before rispy sees them."""
    lines: list[str] = []
    for line in text.split("\n"):
        head = line.lstrip(" \t\ufeff") if not lines else line
        if head.startswith("TY  -"):
            lines = [head]
        elif lines:
            if line[:2] == "ER" and not line[2:5].strip(" -\t"):
                yield lines
                lines = []
            else:
                lines.append(line)


def tokens_by_rispy(text: str) -> list[Tags]:
    """Each complete record's tags as rispy parses them."""
    out = []
    for lines in _records(text):
        parsed = RIS_PARSER.parse_lines(iter([*lines, "ER  - "]))
        raw = parsed[0] if parsed else {}
        out.append({k: [v] if isinstance(v, str) else list(v) for k, v in raw.items() if isinstance(k, str)})
    return out


def records_by_line(text: str, source: str) -> Iterator[tuple[int, int, Tags] | ReadProblem]:
    """What ris_tags must give, read one line at a time."""
    tags: Tags | None = None
    last: list[str] | None = None
    start = index = 0
    for number, line in enumerate(text.split("\n"), 1):
        if tags is None:
            line = line.lstrip(" \t\ufeff")
            if line[:5] == "TY  -":
                index += 1
                start, tags = number, {"TY": [line[6:].strip()]}
                last = None
            continue
        if line[:2] == "ER" and not line[2:5].strip(" -\t"):
            yield index, start, tags
            tags = None
        elif line[2:5] == "  -" and line[:2] in ALL_TAGS:
            tag = line[:2]
            if tag == "TY":
                yield ReadProblem(source, f"record has no 'ER  -' line before the next record starts at line "
                                  f"{number}; record skipped", start, index)
                index += 1
                start, tags = number, {"TY": [line[6:].strip()]}
                last = None
                continue
            last = tags.get(tag)
            if last is None:
                last = tags[tag] = []
            last.append(line[6:].strip())
        elif last is not None:
            last.append(line.strip())
    if tags is not None:
        yield ReadProblem(source, "file ends inside the record (no 'ER  -' line; truncated?); record skipped",
                          start, index)
